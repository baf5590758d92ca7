package main

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// explainPolicy has four policies over hosts that do not exist
// (registry.invalid) or cannot be reached (10.255.255.1), so that any
// attempt to fetch fails.
const explainPolicy = `version: v1
signers:
  release: {cosign: {key: keys/release.pub}}
  notary:
    notation:
      trustStore: keys/notary-ca.crt
      identities: ["` + notaryIdentity + `"]
policies:
  - name: prod
    scope: ["registry.invalid/prod/**"]
    signatures: {anyOf: [release, notary]}
    attestations:
      - {type: sbom, signedBy: [release], maxAge: 720h, rules: {minPackages: 1}}
      - type: vuln
        signedBy: [notary]
        rules:
          maxSeverity: high
          maxCount: {medium: 3}
          waivers: [{id: CVE-2024-1, until: 2027-01-31, reason: not reachable}]
  - name: payments
    scope: ["registry.invalid/payments/**", "*/prod/payments/*"]
    signatures:
      threshold: {count: 2, of: [release, notary]}
  - name: legacy
    scope: ["10.255.255.1:5000/legacy/**"]
    skipVerification: true
  - name: hub
    scope: ["docker.io/library/*"]
    signatures: {allOf: [release]}
`

// explainDoc is the JSON output of vouch policy explain, as far as the
// tests read it.
type explainDoc struct {
	Reference  string `json:"reference"`
	Repository string `json:"repository"`
	Policies   []struct {
		Name             string `json:"name"`
		MatchedScope     string `json:"matchedScope"`
		SkipVerification bool   `json:"skipVerification"`
		Signatures       *struct {
			AnyOf     []string `json:"anyOf"`
			AllOf     []string `json:"allOf"`
			Threshold *struct {
				Count int      `json:"count"`
				Of    []string `json:"of"`
			} `json:"threshold"`
		} `json:"signatures"`
		Attestations []struct {
			Type     string   `json:"type"`
			SignedBy []string `json:"signedBy"`
			MaxAge   string   `json:"maxAge"`
			Rules    []string `json:"rules"`
		} `json:"attestations"`
	} `json:"policies"`
	NotApplying []string `json:"notApplying"`
	Signers     []struct {
		Name           string   `json:"name"`
		Kind           string   `json:"kind"`
		KeyFingerprint string   `json:"keyFingerprint"`
		Identities     []string `json:"identities"`
	} `json:"signers"`
}

// forbidDials makes every connection through the default transports of
// net/http and go-containerregistry fail the test.
func forbidDials(t *testing.T) {
	t.Helper()
	failing := &http.Transport{DialContext: func(_ context.Context, network, addr string) (net.Conn, error) {
		t.Errorf("dialed %s %s", network, addr)
		return nil, errors.New("test: no dialing")
	}}
	prevHTTP, prevGGCR := http.DefaultTransport, remote.DefaultTransport
	http.DefaultTransport, remote.DefaultTransport = failing, failing
	t.Cleanup(func() { http.DefaultTransport, remote.DefaultTransport = prevHTTP, prevGGCR })
}

func TestPolicyExplain(t *testing.T) {
	h := newHarness(t, "registry.invalid")
	h.keys("release")
	h.notationKeys("notary")
	pol := h.write("policy.yaml", explainPolicy)
	// An empty directory: explain must not read the layout, only --scope.
	notALayout := h.path("not-a-layout")
	if err := os.Mkdir(notALayout, 0o755); err != nil {
		t.Fatal(err)
	}
	forbidDials(t)
	digest := "@sha256:" + strings.Repeat("ab", 32)
	tests := []struct {
		name  string
		args  []string
		code  int
		repo  string
		apply []string // policy:matched scope
	}{
		{"two policies by tag", []string{"registry.invalid/prod/payments/api:1.0"}, exitOK,
			"registry.invalid/prod/payments/api",
			[]string{"prod:registry.invalid/prod/**", "payments:*/prod/payments/*"}},
		{"the same by digest", []string{"registry.invalid/prod/payments/api" + digest}, exitOK,
			"registry.invalid/prod/payments/api",
			[]string{"prod:registry.invalid/prod/**", "payments:*/prod/payments/*"}},
		{"second scope of a policy", []string{"registry.invalid/payments/a/b:1"}, exitOK,
			"registry.invalid/payments/a/b", []string{"payments:registry.invalid/payments/**"}},
		{"unreachable host", []string{"10.255.255.1:5000/legacy/app:1"}, exitOK,
			"10.255.255.1:5000/legacy/app", []string{"legacy:10.255.255.1:5000/legacy/**"}},
		{"Docker Hub short name", []string{"alpine"}, exitOK,
			"index.docker.io/library/alpine", []string{"hub:docker.io/library/*"}},
		{"OCI layout known by --scope", []string{"--scope", "registry.invalid/prod/app",
			"oci:" + notALayout + ":1.0"}, exitOK,
			"registry.invalid/prod/app", []string{"prod:registry.invalid/prod/**"}},
		{"no policy matches", []string{"registry.invalid/staging/app:1"}, exitPolicy,
			"registry.invalid/staging/app", nil},
		{"a scope is not a prefix", []string{"registry.invalid/production/app:1"}, exitPolicy,
			"registry.invalid/production/app", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"policy", "explain", "--policy", pol, "-o", "json"}, tc.args...)
			code, out, errOut := h.vouchIO("", args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tc.code, out, errOut)
			}
			var doc explainDoc
			if err := json.Unmarshal([]byte(out), &doc); err != nil {
				t.Fatalf("decoding %q: %v", out, err)
			}
			var got []string
			for _, p := range doc.Policies {
				got = append(got, p.Name+":"+p.MatchedScope)
			}
			if doc.Repository != tc.repo || !cmp.Equal(got, tc.apply) {
				t.Errorf("repository %q, policies %q; want %q, %q", doc.Repository, got, tc.repo, tc.apply)
			}
			if len(doc.Policies)+len(doc.NotApplying) != 4 {
				t.Errorf("%d policies apply and %v do not; want 4 in all", len(doc.Policies), doc.NotApplying)
			}
			if code == exitPolicy && !strings.Contains(errOut, "verification would refuse") {
				t.Errorf("stderr %q does not say the image would be refused", errOut)
			}
		})
	}
}

// TestPolicyExplainRequirements checks what explain says each policy
// requires, in JSON and as text.
func TestPolicyExplainRequirements(t *testing.T) {
	h := newHarness(t, "registry.invalid")
	h.keys("release")
	h.notationKeys("notary")
	pol := h.write("policy.yaml", explainPolicy)
	forbidDials(t)
	img := "registry.invalid/prod/payments/api:1.0"
	out, _ := h.expectIO(exitOK, "", "policy", "explain", "--policy", pol, "-o", "json", img)
	var doc explainDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	prod, pay := doc.Policies[0], doc.Policies[1]
	if s := prod.Signatures; s == nil || !cmp.Equal(s.AnyOf, []string{"release", "notary"}) {
		t.Errorf("prod signatures %+v, want anyOf release, notary", s)
	}
	if s := pay.Signatures; s == nil || s.Threshold == nil || s.Threshold.Count != 2 {
		t.Errorf("payments signatures %+v, want threshold 2", s)
	}
	if len(prod.Attestations) != 2 {
		t.Fatalf("prod has %d attestations, want 2", len(prod.Attestations))
	}
	sbom, vuln := prod.Attestations[0], prod.Attestations[1]
	if sbom.Type != "sbom" || sbom.MaxAge != "720h" || !cmp.Equal(sbom.Rules, []string{"at least 1 package"}) {
		t.Errorf("sbom requirement %+v", sbom)
	}
	wantRules := []string{"no finding above high", "at most 3 medium",
		"waived: CVE-2024-1 until 2027-01-31T23:59:59Z (not reachable)"}
	if vuln.Type != "vuln" || !cmp.Equal(vuln.SignedBy, []string{"notary"}) ||
		!cmp.Equal(vuln.Rules, wantRules) {
		t.Errorf("vuln requirement %+v, want rules %q", vuln, wantRules)
	}
	if len(doc.Signers) != 2 || doc.Signers[0].Kind != "cosign" ||
		!strings.HasPrefix(doc.Signers[0].KeyFingerprint, "sha256:") ||
		doc.Signers[1].Kind != "notation" || !cmp.Equal(doc.Signers[1].Identities, []string{notaryIdentity}) {
		t.Errorf("signers %+v", doc.Signers)
	}

	text, _ := h.expectIO(exitOK, "", "policy", "explain", "--policy", pol, img)
	for _, want := range []string{
		"repository: registry.invalid/prod/payments/api (scopes match this name; tags and digests",
		"2 policies apply; the image must pass every one.",
		`policy "prod" (` + pol + ":9:5)",
		`  applies: scope "registry.invalid/prod/**" matches registry.invalid/prod/payments/api`,
		"    anyOf: at least one of release (cosign), notary (notation)",
		"    threshold: at least 2 different signers of release (cosign), notary (notation)",
		"    signed by: one of notary (notation)",
		"    predicate type: https://spdx.dev/Document or https://cyclonedx.org/bom",
		"    maxAge: at most 720h old",
		"    rule: at most 3 medium",
		"Not applying (no scope matches): legacy, hub",
		"  release: cosign key keys/release.pub, ECDSA P-256, sha256:",
		"    identities: " + notaryIdentity,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	text, _ = h.expectIO(exitOK, "", "policy", "explain", "--policy", pol, "10.255.255.1:5000/legacy/x:1")
	if !strings.Contains(text, "requires nothing: skipVerification admits every image") {
		t.Errorf("skipVerification not explained:\n%s", text)
	}
}

func TestPolicyExplainUsage(t *testing.T) {
	h := newHarness(t, "registry.invalid")
	h.keys("release")
	h.notationKeys("notary")
	pol := h.write("policy.yaml", explainPolicy)
	bad := h.write("bad.yaml", strings.Replace(explainPolicy, "720h", "30d", 1))
	forbidDials(t)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"layout without --scope", []string{"--policy", pol, "oci:" + h.dir + ":1.0"},
			"give one with --scope"},
		{"--scope with a registry image", []string{"--policy", pol, "--scope", "registry.invalid/prod/app",
			"registry.invalid/prod/app:1"}, "--scope goes with images in an OCI layout"},
		{"policy that does not load", []string{"--policy", bad, "registry.invalid/prod/app:1"},
			`maxAge "30d" is not a Go duration`},
		{"bad reference", []string{"--policy", pol, "registry.invalid/Prod:1"}, "invalid image reference"},
		{"no --policy", []string{"registry.invalid/prod/app:1"}, `"policy" not set`},
		{"bad -o", []string{"--policy", pol, "-o", "yaml", "registry.invalid/prod/app:1"}, "want text or json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := h.vouchIO("", append([]string{"policy", "explain"}, tc.args...)...)
			if code != exitUsage || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q\n%s", code, errOut, exitUsage, tc.want, out)
			}
		})
	}
}

// TestPolicyExplainImageRules explains the shipped image-rules example:
// its image configuration rules and Rego files are part of what the
// policy requires.
func TestPolicyExplainImageRules(t *testing.T) {
	h := newHarness(t, "registry.invalid")
	forbidDials(t)
	pol := filepath.Join("..", "..", "examples", "image-rules.yaml")
	img := "registry.example.com/prod/web:1.0"
	out, _ := h.expectIO(exitOK, "", "policy", "explain", "--policy", pol, "-o", "json", img)
	var doc struct {
		Policies []struct {
			Image        []string `json:"image"`
			Rego         string   `json:"rego"`
			Attestations []struct {
				Rego string `json:"rego"`
			} `json:"attestations"`
		} `json:"policies"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Policies) != 1 || len(doc.Policies[0].Attestations) != 1 {
		t.Fatalf("explanation %s", out)
	}
	p := doc.Policies[0]
	want := []string{
		"runs as a user other than root",
		"label org.opencontainers.image.source",
		"label org.opencontainers.image.revision",
		"label org.opencontainers.image.vendor=Example",
		"base image one of: gcr.io/distroless/**, docker.io/library/alpine:3.*, docker.io/library/python:3.*-slim",
		"no environment variable matching: *_TOKEN, *SECRET*, *PASSWORD*, *_API_KEY, *=*PRIVATE KEY*",
		"at most 30 layers",
	}
	if diff := cmp.Diff(want, p.Image); diff != "" {
		t.Errorf("image rules (-want +got):\n%s", diff)
	}
	if p.Rego != "rego/image.rego" || p.Attestations[0].Rego != "rego/vuln.rego" {
		t.Errorf("rego %q and %q", p.Rego, p.Attestations[0].Rego)
	}
	text, _ := h.expectIO(exitOK, "", "policy", "explain", "--policy", pol, img)
	for _, want := range []string{"  image configuration:\n    runs as a user other than root\n",
		"    at most 30 layers\n  rego: no deny from rego/image.rego\n",
		"    rego: no deny from rego/vuln.rego\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
}
