package verify_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/vouchsec/vouch/attest"
	"github.com/vouchsec/vouch/pkg/policy"
	"github.com/vouchsec/vouch/verify"
)

const keyPath = "../pkg/policy/testdata/keys/containers-image.cosign.pub"

var (
	now    = time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	digest = mustDigest("127.0.0.1:5000/staging/app@sha256:" + strings.Repeat("ab", 32))
)

func mustDigest(s string) name.Digest {
	d, err := name.NewDigest(s)
	if err != nil {
		panic(err)
	}
	return d
}

// fake is evidence that verifies with the signers named in by.
type fake struct {
	kind verify.Kind
	by   []string
	st   []byte
}

func (f *fake) Kind() verify.Kind     { return f.kind }
func (f *fake) Source() string        { return "fake" }
func (f *fake) PredicateType() string { return "" }
func (f *fake) Verify(_ context.Context, _ v1.Hash, s *policy.Signer) (*verify.Verified, error) {
	for _, n := range f.by {
		if n == s.Name {
			return &verify.Verified{Statement: f.st}, nil
		}
	}
	return nil, errors.New("signature: does not verify")
}

type backend []verify.Evidence

func (b backend) Name() string { return "fake" }
func (b backend) Discover(context.Context, name.Digest) ([]verify.Evidence, error) {
	return b, nil
}

func sig(by ...string) verify.Evidence { return &fake{kind: verify.KindSignature, by: by} }

// vuln is a vuln attestation by signer over a Trivy report with the given
// findings (id:SEVERITY) scanned at t.
func vuln(t testing.TB, signer string, at time.Time, findings ...string) verify.Evidence {
	t.Helper()
	var vulns []map[string]string
	for _, f := range findings {
		id, sev, _ := strings.Cut(f, ":")
		vulns = append(vulns, map[string]string{"VulnerabilityID": id, "PkgName": "pkg",
			"InstalledVersion": "1.0", "Severity": sev})
	}
	report, _ := json.Marshal(map[string]any{
		"SchemaVersion": 2, "ArtifactName": "app", "ArtifactType": "container_image",
		"CreatedAt": at.Format(time.RFC3339),
		"Results":   []any{map[string]any{"Target": "app", "Vulnerabilities": vulns}},
	})
	scan, err := attest.ParseScan(report)
	if err != nil {
		t.Fatal(err)
	}
	pred, err := scan.Predicate()
	if err != nil {
		t.Fatal(err)
	}
	h, _ := v1.NewHash(digest.DigestStr())
	st, err := attest.Statement(digest.Context().Name(), h, attest.PredicateVuln, pred)
	if err != nil {
		t.Fatal(err)
	}
	return &fake{kind: verify.KindAttestation, by: []string{signer}, st: st}
}

func load(t testing.TB, policies string) *policy.Policy {
	t.Helper()
	p, err := policy.Parse("trust.yaml", []byte(`version: v1
signers:
  release: {cosign: {key: `+keyPath+`}}
  ci: {cosign: {key: `+keyPath+`}}
policies:
`+policies))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func check(t *testing.T, policies string, ev backend) *verify.ImageResult {
	t.Helper()
	opts := verify.Options{Policy: load(t, policies), Backends: []verify.Backend{ev}, Now: now}
	return verify.Digest(context.Background(), digest, opts)
}

func TestRules(t *testing.T) {
	const vulnRule = `  - name: p
    scope: ["*/staging/**"]
    attestations:
      - type: vuln
        signedBy: [ci]
        maxAge: 24h
        rules:
          maxSeverity: high
          waivers: [{id: CVE-W, until: 2026-12-31, reason: r}, {id: CVE-X, until: 2026-01-01, reason: r}]
`
	day := 24 * time.Hour
	tests := []struct {
		name     string
		policies string
		ev       backend
		pass     bool
		reason   string
	}{
		{"anyOf met", sigRule("anyOf: [release, ci]"), backend{sig("ci")}, true, "signed by ci"},
		{"anyOf unmet", sigRule("anyOf: [release]"), backend{sig("ci")}, false,
			"no valid signature by any of [release]: 1 signature(s) found; fake with release: signature"},
		{"no signatures", sigRule("anyOf: [release]"), nil, false, "the image has no signatures"},
		{"allOf met", sigRule("allOf: [release, ci]"), backend{sig("ci"), sig("release")}, true, ""},
		{"allOf one missing", sigRule("allOf: [release, ci]"), backend{sig("release")}, false,
			"no valid signature by [ci]"},
		{"clean scan", vulnRule, backend{vuln(t, "ci", now.Add(-time.Hour), "CVE-1:HIGH")}, true, ""},
		{"critical", vulnRule, backend{vuln(t, "ci", now.Add(-time.Hour), "CVE-1:CRITICAL")}, false,
			"maxSeverity high: 1 finding(s) above it: CVE-1 (critical, pkg 1.0)"},
		{"unknown counts as critical", vulnRule, backend{vuln(t, "ci", now.Add(-time.Hour), "CVE-1:UNKNOWN")},
			false, "CVE-1 (critical"},
		{"waived", vulnRule, backend{vuln(t, "ci", now.Add(-time.Hour), "CVE-W:CRITICAL")}, true, "1 finding(s) waived"},
		{"waiver expired", vulnRule, backend{vuln(t, "ci", now.Add(-time.Hour), "CVE-X:CRITICAL")}, false,
			"waiver expired 2026-01-01"},
		{"too old", vulnRule, backend{vuln(t, "ci", now.Add(-2*day))}, false, "more than maxAge 24h0m0s"},
		{"from the future", vulnRule, backend{vuln(t, "ci", now.Add(time.Hour))}, false, "in the future"},
		{"newest scan decides", vulnRule, backend{
			vuln(t, "ci", now.Add(-3*time.Hour), "CVE-1:CRITICAL"),
			vuln(t, "ci", now.Add(-time.Hour)),
		}, true, ""},
		{"wrong signer", vulnRule, backend{vuln(t, "release", now)}, false,
			"vuln attestation is signed by release, not by any of signedBy [ci]"},
		{"no attestations", vulnRule, backend{sig("release")}, false, "the image has no attestations"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := check(t, tc.policies, tc.ev)
			if r.Passed() != tc.pass {
				t.Fatalf("passed = %v, want %v: %+v", r.Passed(), tc.pass, r.Policies)
			}
			c := r.Policies[0].Checks[0]
			if !strings.Contains(c.Reason, tc.reason) {
				t.Errorf("reason %q lacks %q", c.Reason, tc.reason)
			}
		})
	}
}

// TestVulnPredicateWithoutReport checks that a vuln predicate whose
// report vouch cannot read fails maxSeverity rather than passing with no
// findings.
func TestVulnPredicateWithoutReport(t *testing.T) {
	pred, err := os.ReadFile("../testdata/scan/cosign-vuln.predicate.json")
	if err != nil {
		t.Fatal(err)
	}
	h, _ := v1.NewHash(digest.DigestStr())
	st, err := attest.Statement(digest.Context().Name(), h, attest.PredicateVuln, pred)
	if err != nil {
		t.Fatal(err)
	}
	r := check(t, `  - name: p
    scope: ["*/staging/**"]
    attestations: [{type: vuln, signedBy: [ci], rules: {maxSeverity: critical}}]
`, backend{&fake{kind: verify.KindAttestation, by: []string{"ci"}, st: st}})
	c := r.Policies[0].Checks[0]
	if r.Passed() || !strings.Contains(c.Reason, "cannot be checked") {
		t.Fatalf("want a refusal for unknown findings, got %+v", c)
	}
}

func sigRule(rule string) string {
	return `  - name: p
    scope: ["*/staging/**"]
    signatures: {` + rule + `}
`
}

func TestNoPolicyMatches(t *testing.T) {
	r := check(t, `  - name: p
    scope: ["*/prod/**"]
    signatures: {anyOf: [release]}
`, backend{sig("release")})
	if r.Passed() || !strings.Contains(r.Policies[0].Checks[0].Reason, "no policy") {
		t.Fatalf("an image no policy matches passed or gave no reason: %+v", r.Policies)
	}
}

func TestEveryMatchingPolicyApplies(t *testing.T) {
	r := check(t, sigRule("anyOf: [release]")+`  - name: q
    scope: ["127.0.0.1:5000/**"]
    signatures: {anyOf: [ci]}
`, backend{sig("release")})
	if r.Passed() || len(r.Policies) != 2 || r.Policies[1].Passed {
		t.Fatalf("want policy q to apply and fail: %+v", r.Policies)
	}
}

func ExampleDigest() {
	p, err := policy.Parse("trust.yaml", []byte(`version: v1
signers:
  release: {cosign: {key: `+keyPath+`}}
policies:
  - name: staging
    scope: ["*/staging/**"]
    signatures: {anyOf: [release]}
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	opts := verify.Options{Policy: p, Backends: []verify.Backend{backend{sig("release")}}}
	r := verify.Digest(context.Background(), digest, opts)
	for _, pr := range r.Policies {
		for _, c := range pr.Checks {
			fmt.Printf("%s %s: %v (%s)\n", pr.Name, c.Requirement, c.Passed, c.Reason)
		}
	}
	fmt.Println(r.Status)
	// Output:
	// staging signatures.anyOf: true (signed by release)
	// pass
}
