package main

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/spf13/cobra"

	"github.com/vouchsec/vouch/internal/corpus"
	"github.com/vouchsec/vouch/internal/cosigncli"
	"github.com/vouchsec/vouch/internal/testpki"
	"github.com/vouchsec/vouch/internal/testreg"
	"github.com/vouchsec/vouch/pkg/bundle"
	"github.com/vouchsec/vouch/verify"
)

// bundlePolicies require the release key's and the notation
// certificate's signatures, a CI-attested SBOM and scan report, and an
// SBOM attested by the notation certificate.
const bundlePolicies = `  - name: release
    scope: ["*/staging/**", "*/prod/**"]
    signatures: {allOf: [release, notary]}
    attestations:
      - {type: sbom, signedBy: [ci]}
      - {type: vuln, signedBy: [ci], rules: {maxSeverity: high}}
      - {type: sbom, signedBy: [notary]}
`

// pkiIdentity matches the leaf certificates of internal/testpki.
const pkiIdentity = "x509.subject: C=US, ST=WA, O=vouch test"

// bundlePKI issues a notation chain into dir/keys whose certificates name
// CRLs served on loopback until t ends.
func bundlePKI(t *testing.T, dir string) testpki.Files {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "keys"), 0o700); err != nil {
		t.Fatal(err)
	}
	return testpki.New(t, testpki.Options{}).WriteFiles(filepath.Join(dir, "keys"))
}

// signForBundle pushes the sample image and attaches every kind of
// evidence a bundle carries: a cosign key-pair signature, cosign SBOM and
// scan attestations, and with the chain in files a notation signature and
// a notation-signed SBOM attestation. It returns the image and the policy.
func signForBundle(h *harness, files testpki.Files) (img, pol string) {
	h.t.Helper()
	img, _ = h.push("staging/app", "1.0.0")
	h.keys("release", "ci")
	signAndAttest(h, img)
	h.must("sign", "--backend", "notation", "--key", files.Key, "--cert", files.Chain, img)
	h.must("attest", "--backend", "notation", "--key", files.Key, "--cert", files.Chain,
		"--sbom", sample(h), img)
	pol = h.write("policy.yaml", `version: v1
signers:
  release: {cosign: {key: keys/release.pub}}
  ci: {cosign: {key: keys/ci.pub}}
  notary:
    notation:
      trustStore: keys/root.crt
      identities: ["`+pkiIdentity+`"]
policies:
`+bundlePolicies)
	return img, pol
}

// offlineVerify verifies the images of a bundle as vouch verify --offline
// does, through offlineImages, offlineVerifyOptions and the engine. An
// empty policy means the bundled one.
func offlineVerify(t *testing.T, file, pol string, images ...string) ([]*verify.ImageResult, error) {
	t.Helper()
	res, _, err := offlineVerifyLog(t, file, pol, images...)
	return res, err
}

// offlineVerifyLog is offlineVerify, returning what was written to stderr
// as well.
func offlineVerifyLog(t *testing.T, file, pol string, images ...string) (
	[]*verify.ImageResult, string, error) {
	t.Helper()
	return offlineVerifyCmd(t, &cobra.Command{}, file, pol, images...)
}

// offlineVerifyCmd is offlineVerifyLog for cmd, whose flags may set
// bundle limits.
func offlineVerifyCmd(t *testing.T, cmd *cobra.Command, file, pol string, images ...string) (
	[]*verify.ImageResult, string, error) {
	t.Helper()
	var stderr strings.Builder
	g := &globals{io: &stdio{out: io.Discard, err: &stderr}, logger: slog.New(slog.DiscardHandler)}
	cmd.SetContext(t.Context())
	refs, cleanup, err := g.offlineImages(cmd, file, images)
	if err != nil {
		return nil, "", err
	}
	opts, err := g.offlineVerifyOptions(cmd, pol, time.Time{})
	if err != nil {
		cleanup()
		return nil, "", err
	}
	var out []*verify.ImageResult
	for _, ref := range refs {
		out = append(out, verify.Image(cmd.Context(), ref, opts))
	}
	cleanup()
	return out, stderr.String(), nil
}

// mustPass fails the test unless every image passed with want pieces of
// evidence each.
func mustPass(t *testing.T, res []*verify.ImageResult, err error, want int) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if !r.Passed() || len(r.Evidence) != want {
			b, _ := json.MarshalIndent(r, "", "  ")
			t.Fatalf("offline verification: %s with %d pieces of evidence, want pass with %d:\n%s",
				r.Status, len(r.Evidence), want, b)
		}
	}
}

// noDial makes every connection the default HTTP transports of net/http
// and go-containerregistry open fail the test, until restore is called.
func noDial(t *testing.T) (restore func()) {
	t.Helper()
	failing := &http.Transport{DialContext: func(_ context.Context, network, addr string) (net.Conn, error) {
		t.Errorf("offline verification dialed %s %s", network, addr)
		return nil, errors.New("test: no dialing")
	}}
	prevHTTP, prevGGCR := http.DefaultTransport, remote.DefaultTransport
	http.DefaultTransport, remote.DefaultTransport = failing, failing
	restored := false
	restore = func() {
		if !restored {
			http.DefaultTransport, remote.DefaultTransport = prevHTTP, prevGGCR
			restored = true
		}
	}
	t.Cleanup(restore)
	return restore
}

// TestBundleOffline exports an image with cosign and notation evidence
// from a registry, stops the registry, verifies the bundles (tar without
// layers, directory with them) with no network, imports them into an
// empty registry of another kind, and checks that vouch verify and the
// cosign CLI pass there. The CRL server runs throughout, for that last
// online verification; offline, the bundled CRLs answer.
func TestBundleOffline(t *testing.T) {
	dir := t.TempDir()
	pki := bundlePKI(t, dir)
	tarFile, layersDir := filepath.Join(dir, "app.tar"), filepath.Join(dir, "app-layers")
	var img, pol string
	t.Run("export", func(t *testing.T) {
		h := &harness{t: t, dir: dir, host: testreg.GGCR(t, true),
			env: map[string]string{"VOUCH_PASSWORD": testPassword}}
		img, pol = signForBundle(h, pki)
		// By tag, so that the bundle records it and import writes it.
		img = h.ref("staging/app:1.0.0")
		out := h.must("bundle", "export", img, "-o", tarFile, "--policy", pol)
		for _, want := range []string{"cosign-signatures", "cosign-attestations", "referrer",
			"policy", "trust", "crl", "report", ": passed"} {
			if !strings.Contains(out, want) {
				t.Errorf("export output lacks %q:\n%s", want, out)
			}
		}
		out = h.must("bundle", "export", img, "-o", layersDir, "--with-layers", "--policy", pol)
		t.Logf("bundles of the sample image with its evidence: %s (tar, without layers), "+
			"%s (directory, with layers)", bundleSize(t, tarFile), reportedSize(t, out))
		h.expect(exitUsage, []string{"exists"}, "bundle", "export", img, "-o", layersDir)
	})
	if t.Failed() {
		t.FailNow()
	}

	// The registry and the CRL server stopped with the subtest.
	restore := noDial(t)
	for _, file := range []string{tarFile, layersDir} {
		for _, p := range []string{"", pol} {
			start := time.Now()
			res, err := offlineVerify(t, file, p)
			mustPass(t, res, err, 5)
			t.Logf("offline verification of %s (policy %q): %v", filepath.Base(file), p, time.Since(start))
		}
	}
	// The same through the command line, as an auditor runs it.
	ch := newHarness(t, "")
	for _, file := range []string{tarFile, layersDir} {
		ch.must("verify", "--offline", "--bundle", file)
		rep := decodeReport(t, ch.must("verify", "--offline", "--bundle", file, "--policy", pol, "-o", "json"))
		if !rep.Passed || len(rep.Images[0].Evidence) != 5 {
			t.Errorf("offline verify of %s: passed %v with %d pieces of evidence, want a pass with 5",
				file, rep.Passed, len(rep.Images[0].Evidence))
		}
	}
	ch.expect(exitUsage, []string{"--offline needs --bundle"}, "verify", "--offline")
	ch.expect(exitUsage, []string{"--bundle goes with --offline"}, "verify", "--bundle", tarFile,
		"--policy", pol, img)
	ch.expect(exitUsage, []string{`"policy" not set`}, "verify", img)
	t.Run("netns", func(t *testing.T) { offlineInNetns(t, tarFile) })
	restore()

	t.Run("import", func(t *testing.T) {
		h := &harness{t: t, dir: dir, host: testreg.Distribution(t),
			env: map[string]string{"VOUCH_PASSWORD": testPassword}}
		h.expect(exitUsage, []string{"holds no layers"}, "bundle", "import", tarFile, h.ref("prod/app"))
		out := h.must("bundle", "import", layersDir, h.ref("prod/app"))
		if !strings.Contains(out, "prod/app:1.0.0") {
			t.Errorf("import did not tag prod/app:1.0.0:\n%s", out)
		}
		h.must("verify", "--policy", pol, h.ref("prod/app:1.0.0"))
		// The image is there now, so the bundle without layers imports
		// too, and a second import writes nothing.
		out = h.must("bundle", "import", tarFile, h.ref("prod/app:1.0.0"))
		if strings.Contains(out, "copied") || strings.Contains(out, "merged") {
			t.Errorf("a second import wrote something:\n%s", out)
		}
		for _, args := range [][]string{
			{"verify", "--key", h.path("keys/release.pub"), h.ref("prod/app:1.0.0")},
			{"verify-attestation", "--key", h.path("keys/ci.pub"), "--type", "spdxjson", h.ref("prod/app:1.0.0")},
		} {
			if out, errOut, err := cosigncli.Run(t, nil, args...); err != nil {
				t.Errorf("cosign %s: %v\n%s%s", strings.Join(args, " "), err, out, errOut)
			}
		}
	})
}

// reportedSize reads the size bundle export prints.
func reportedSize(t *testing.T, out string) string {
	t.Helper()
	_, rest, ok := strings.Cut(out, " (")
	size, _, ok2 := strings.Cut(rest, ")")
	if !ok || !ok2 {
		t.Fatalf("bundle export printed no size:\n%s", out)
	}
	return size
}

func bundleSize(t *testing.T, file string) string {
	t.Helper()
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%d bytes", fi.Size())
}

// childEnv names the bundle TestBundleOfflineChild verifies, when the
// parent test runs it in a network namespace.
const childEnv = "VOUCH_TEST_OFFLINE_BUNDLE"

// offlineInNetns runs TestBundleOfflineChild in this test binary under
// unshare -n: a network namespace with no interface up, where any
// connection would fail.
func offlineInNetns(t *testing.T, file string) { offlineInNetnsWant(t, file, 5) }

// offlineInNetnsWant is offlineInNetns for a bundle with want pieces of
// evidence.
func offlineInNetnsWant(t *testing.T, file string, want int) {
	unshare, err := exec.LookPath("unshare")
	if err == nil {
		err = exec.Command(unshare, "-n", "true").Run()
	}
	if err != nil {
		t.Skipf("unshare -n is not available here (it needs root or user namespaces): %v", err)
	}
	cmd := exec.CommandContext(t.Context(), unshare, "-n", os.Args[0],
		"-test.run=^TestBundleOfflineChild$", "-test.v")
	cmd.Env = append(os.Environ(), childEnv+"="+file, fmt.Sprintf("%s_WANT=%d", childEnv, want))
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestBundleOfflineChild") {
		t.Fatalf("offline verification in a network namespace: %v\n%s", err, out)
	}
}

// TestBundleOfflineChild is run by TestBundleOffline in a network
// namespace; on its own it skips.
func TestBundleOfflineChild(t *testing.T) {
	file := os.Getenv(childEnv)
	if file == "" {
		t.Skip("run by TestBundleOffline under unshare -n")
	}
	if c, err := net.DialTimeout("tcp", "127.0.0.1:9", time.Second); err == nil || !isUnreachable(err) {
		if c != nil {
			c.Close()
		}
		t.Fatalf("not in a network namespace without interfaces: dialing loopback gave %v", err)
	}
	want, err := strconv.Atoi(os.Getenv(childEnv + "_WANT"))
	if err != nil {
		t.Fatalf("%s_WANT: %v", childEnv, err)
	}
	res, err := offlineVerify(t, file, "")
	mustPass(t, res, err, want)
}

func isUnreachable(err error) bool {
	return strings.Contains(err.Error(), "network is unreachable")
}

// TestBundleRemovedEvidence checks that a bundle missing a piece of
// evidence the policy needs fails the policy offline, and one missing
// the CRLs fails the revocation check saying it is offline.
func TestBundleRemovedEvidence(t *testing.T) {
	dir := t.TempDir()
	full := filepath.Join(dir, "full")
	pki := bundlePKI(t, dir)
	var pol string
	t.Run("export", func(t *testing.T) {
		h := &harness{t: t, dir: dir, host: testreg.GGCR(t, false),
			env: map[string]string{"VOUCH_PASSWORD": testPassword}}
		var img string
		img, pol = signForBundle(h, pki)
		h.must("bundle", "export", img, "-o", full, "--policy", pol)
	})
	if t.Failed() {
		t.FailNow()
	}
	noDial(t)
	tests := []struct {
		name string
		drop func(e map[string]any) bool
		// want are in the result, log in what is written to stderr.
		want, log []string
	}{
		{"cosign signature", func(e map[string]any) bool {
			return annotation(e, bundle.AnnotationKind) == string(bundle.KindCosignSignatures)
		}, []string{"signatures.allOf", "release"}, nil},
		{"notation signature", func(e map[string]any) bool {
			return e["artifactType"] == "application/vnd.cncf.notary.signature" &&
				annotation(e, bundle.AnnotationSubject) == imageDigest(t, full)
		}, []string{"signatures.allOf", "notary"}, nil},
		{"CRLs", func(e map[string]any) bool {
			return annotation(e, bundle.AnnotationKind) == string(bundle.KindCRL)
		}, []string{"revocation check", "revocation status is unknown"},
			[]string{"offline: the bundle holds no answer to http://127.0.0.1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := filepath.Join(t.TempDir(), "b")
			copyTree(t, full, b)
			dropEntries(t, b, tc.drop)
			res, log, err := offlineVerifyLog(t, b, pol)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.log {
				if !strings.Contains(log, w) {
					t.Errorf("stderr lacks %q:\n%s", w, log)
				}
			}
			if res[0].Status != verify.StatusFail {
				t.Fatalf("status %s, want fail", res[0].Status)
			}
			got, _ := json.Marshal(res[0])
			for _, w := range tc.want {
				if !strings.Contains(string(got), w) {
					t.Errorf("result lacks %q:\n%s", w, got)
				}
			}
		})
	}
}

func annotation(e map[string]any, key string) string {
	ann, _ := e["annotations"].(map[string]any)
	s, _ := ann[key].(string)
	return s
}

// imageDigest reads the digest of a bundle directory's image.
func imageDigest(t *testing.T, dir string) string {
	t.Helper()
	for _, e := range readIndex(t, dir)["manifests"].([]any) {
		m := e.(map[string]any)
		if annotation(m, bundle.AnnotationKind) == string(bundle.KindImage) {
			return m["digest"].(string)
		}
	}
	t.Fatal("no image in the bundle")
	return ""
}

func readIndex(t *testing.T, dir string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var idx map[string]any
	if err := json.Unmarshal(raw, &idx); err != nil {
		t.Fatal(err)
	}
	return idx
}

// dropEntries removes from a bundle directory's index.json the entries
// drop selects, failing the test if it selects none.
func dropEntries(t *testing.T, dir string, drop func(map[string]any) bool) {
	t.Helper()
	editIndex(t, dir, func(idx map[string]any) {
		entries := idx["manifests"].([]any)
		kept := slices.DeleteFunc(slices.Clone(entries), func(e any) bool { return drop(e.(map[string]any)) })
		if len(kept) == len(entries) {
			t.Fatal("no entry to drop")
		}
		idx["manifests"] = kept
	})
}

// editIndex rewrites a bundle directory's index.json as edit changes it.
func editIndex(t *testing.T, dir string, edit func(idx map[string]any)) {
	t.Helper()
	idx := readIndex(t, dir)
	edit(idx)
	raw, err := json.Marshal(idx)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "index.json")
	_ = os.Chmod(path, 0o644)
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBundleCorpusLayouts verifies every notation-oci-layout case of the
// corpus offline, the layout served as the repository the case was
// signed for, and checks its expected outcome; then turns the valid one
// into a bundle with vouch bundle export and verifies that offline with
// the policy bundled in it.
func TestBundleCorpusLayouts(t *testing.T) {
	restore := noDial(t)
	for _, c := range corpus.Cases(t, "notation-oci-layout") {
		t.Run(c.ID, func(t *testing.T) {
			h := newHarness(t, "")
			out := h.must("policy", "import-notation",
				"--trust-policy", corpus.Path(t, c.TrustPolicy),
				"--trust-store", filepath.Join(corpus.Path(t, c.NotationConfigDir), "truststore"))
			pol := h.write("policy.yaml", out)
			res, err := offlineVerify(t, corpus.Path(t, c.Layout), pol, c.ArtifactReference)
			if err != nil {
				t.Fatal(err)
			}
			got := map[verify.Status]string{verify.StatusPass: "pass", verify.StatusFail: "fail"}[res[0].Status]
			if got != c.Expected {
				b, _ := json.MarshalIndent(res[0], "", "  ")
				t.Fatalf("offline: %s, want %s (%s):\n%s", res[0].Status, c.Expected, c.Reason, b)
			}
			if b, _ := json.Marshal(res[0]); c.Expected == "fail" &&
				!strings.Contains(string(b), failedCheck(t, c.Reason)+" check") {
				t.Errorf("the failure does not name the %s check:\n%s", failedCheck(t, c.Reason), b)
			}
		})
	}
	restore()

	h := newHarness(t, "")
	pol := h.e2ePolicy()
	file := h.path("e2e.tar")
	h.must("bundle", "export", "--scope", e2eScope, "oci:"+corpus.Path(t, e2eLayout)+":v1",
		"-o", file, "--policy", pol)
	noDial(t)
	res, err := offlineVerify(t, file, "")
	mustPass(t, res, err, 1)
	if res[0].Digest != e2eDigest {
		t.Errorf("bundle of the e2e layout verified %s, want %s", res[0].Digest, e2eDigest)
	}
}

// TestBundleCosignCorpusLayout verifies the corpus's cosign save layouts
// (a keyless SLSA provenance attestation) as cases.json expects, with the
// case's identity and trusted root: from the layout directly, and from a
// bundle exported from it, with every dial failing. cosign save records
// the attestation manifest under no tag; the layout serves it under the
// .att tag cosign's readers look for.
func TestBundleCosignCorpusLayout(t *testing.T) {
	for _, c := range corpus.Cases(t, "cosign-oci-layout-attestation") {
		t.Run(c.ID, func(t *testing.T) {
			h := newHarness(t, "")
			pol := h.write("policy.yaml", fmt.Sprintf(`version: v1
signers:
  slsa:
    cosign:
      keyless: {issuer: %q, subject: %q, trustedRoot: %q}
policies:
  - name: provenance
    scope: ["**"]
    attestations:
      - {type: %q, signedBy: [slsa]}
`, c.Identity.Issuer, c.Identity.SAN, corpus.Path(t, c.TrustedRoot), c.PredicateType))
			img := "oci:" + corpus.Path(t, c.Layout) + "@" + c.SubjectDigest
			code, want := exitOK, []string{"attestation signed by slsa (" + c.Identity.SAN}
			if c.Expected == "fail" {
				code, want = exitPolicy, []string{"identity check"}
			}
			restore := noDial(t)
			h.expect(code, want, "verify", "--scope", "ghcr.io/slsa-framework/container",
				"--policy", pol, img)
			restore()
			file := h.path("cosign-layout.tar")
			h.must("bundle", "export", "--scope", "ghcr.io/slsa-framework/container", img, "-o", file)
			noDial(t)
			h.expect(code, want, "verify", "--offline", "--bundle", file, "--policy", pol)
		})
	}
}

// TestBundleRefusals checks that bundle import and offline verification
// refuse unsafe or damaged bundles as bad input (exit 2), naming why,
// before anything is read from them or written anywhere.
func TestBundleRefusals(t *testing.T) {
	h := newHarness(t, testreg.GGCR(t, false))
	img, _ := h.push("staging/app", "1.0.0")
	good := h.path("good")
	h.must("bundle", "export", img, "-o", good)
	layout := []tarFile{{name: "oci-layout", body: `{"imageLayoutVersion":"1.0.0"}`},
		{name: "index.json", body: `{"schemaVersion":2,"manifests":[]}`}}
	tests := []struct {
		name  string
		files []tarFile
		args  []string
		want  string
	}{
		{"path traversal", append(layout, tarFile{name: "blobs/../../../tmp/evil", body: "x"}), nil,
			"not a clean path inside the bundle"},
		{"symbolic link", append(layout, tarFile{name: "blobs/sha256/" + strings.Repeat("a", 64),
			link: "/etc/shadow"}), nil, "is a link"},
		{"oversized entry", append(layout, tarFile{name: "blobs/sha256/" + strings.Repeat("a", 64),
			body: strings.Repeat("x", 4096)}), []string{"--max-bundle-size", "1024"}, "limit 1024"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			file := h.path(strings.ReplaceAll(tc.name, " ", "-") + ".tar")
			writeTestTar(t, file, tc.files)
			args := append([]string{"bundle", "import", file, h.ref("prod/app")}, tc.args...)
			h.expect(exitUsage, []string{"corrupt or unsafe bundle", tc.want}, args...)
			cmd := &cobra.Command{}
			(&bundleLimitFlags{}).register(cmd)
			if err := cmd.ParseFlags(tc.args); err != nil {
				t.Fatal(err)
			}
			if _, _, err := offlineVerifyCmd(t, cmd, file, ""); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("offline verification: %v, want a refusal with %q", err, tc.want)
			}
		})
	}
	t.Run("flipped byte", func(t *testing.T) {
		dir := h.path("flipped")
		copyTree(t, good, dir)
		blobs, _ := filepath.Glob(filepath.Join(dir, "blobs", "sha256", "*"))
		victim := blobs[0]
		data, err := os.ReadFile(victim)
		if err != nil {
			t.Fatal(err)
		}
		data[0] ^= 0x01
		_ = os.Chmod(victim, 0o644)
		if err := os.WriteFile(victim, data, 0o644); err != nil {
			t.Fatal(err)
		}
		h.expect(exitUsage, []string{"does not match its digest", filepath.Base(victim)},
			"bundle", "import", dir, h.ref("prod/app"))
		if _, err := offlineVerify(t, dir, ""); err == nil || !strings.Contains(err.Error(), filepath.Base(victim)) {
			t.Errorf("offline verification: %v, want a refusal naming the blob", err)
		}
	})
	// A policy the image does not meet: the bundle is written, with the
	// failing report, and the export says so with exit code 1.
	h.keys("release", "ci")
	pol := h.policy(`  - {name: p, scope: ["*/staging/**"], signatures: {anyOf: [release]}}
`)
	h.expect(exitPolicy, []string{"written, but", "signatures.anyOf"},
		"bundle", "export", img, "-o", h.path("unsigned.tar"), "--policy", pol)
	if res, err := offlineVerify(t, h.path("unsigned.tar"), ""); err != nil || res[0].Status != verify.StatusFail {
		t.Errorf("the unsigned bundle verified offline: %v", err)
	}
	h.expect(exitUsage, []string{"unknown command"}, "bundle", "exprt", img)
	h.expect(exitUsage, []string{"needs a subcommand"}, "bundle")
	if _, err := offlineVerify(t, good, ""); err == nil || !strings.Contains(err.Error(), "holds no policy") {
		t.Errorf("offline verification of a bundle without a policy, with none given: %v", err)
	}
}

type tarFile struct{ name, body, link string }

func writeTestTar(t *testing.T, file string, files []tarFile) {
	t.Helper()
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	for _, e := range files {
		hdr := &tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.body)), Typeflag: tar.TypeReg}
		if e.link != "" {
			hdr.Typeflag, hdr.Linkname, hdr.Size = tar.TypeSymlink, e.link, 0
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestBundleParseAt checks the times --at takes.
func TestBundleParseAt(t *testing.T) {
	for in, want := range map[string]string{
		"":                          "0001-01-01T00:00:00Z",
		"2026-01-31":                "2026-01-31T00:00:00Z",
		"2026-01-31T12:30:00+02:00": "2026-01-31T10:30:00Z",
	} {
		got, err := parseAt(in)
		if err != nil || got.UTC().Format(time.RFC3339) != want {
			t.Errorf("parseAt(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
	if _, err := parseAt("last tuesday"); err == nil {
		t.Error("parseAt accepted last tuesday")
	}
}
