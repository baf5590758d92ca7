package verify_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/vouchsec/vouch/attest"
	"github.com/vouchsec/vouch/verify"
)

// imageStore is an ImageReader over manifests and blobs held in memory.
// It counts reads by digest.
type imageStore struct {
	mu    sync.Mutex
	raw   map[string][]byte
	types map[string]types.MediaType
	reads map[string]int
	// fail, when set, is returned by every read.
	fail error
}

func newImageStore() *imageStore {
	return &imageStore{raw: map[string][]byte{}, types: map[string]types.MediaType{},
		reads: map[string]int{}}
}

func (s *imageStore) read(d name.Digest) ([]byte, types.MediaType, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads[d.DigestStr()]++
	if s.fail != nil {
		return nil, "", s.fail
	}
	raw, ok := s.raw[d.DigestStr()]
	if !ok {
		return nil, "", fmt.Errorf("%s: not found", d)
	}
	return raw, s.types[d.DigestStr()], nil
}

func (s *imageStore) Manifest(_ context.Context, d name.Digest) ([]byte, types.MediaType, error) {
	return s.read(d)
}

func (s *imageStore) Blob(_ context.Context, d name.Digest, maxSize int64) ([]byte, error) {
	raw, _, err := s.read(d)
	if err == nil && int64(len(raw)) > maxSize {
		return nil, errors.New("too large")
	}
	return raw, err
}

func (s *imageStore) put(t testing.TB, raw []byte, mt types.MediaType) v1.Hash {
	t.Helper()
	h, _, err := v1.SHA256(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	s.raw[h.String()], s.types[h.String()] = raw, mt
	return h
}

// putImage stores an image's manifest and config and returns its digest
// reference in the staging repository.
func (s *imageStore) putImage(t testing.TB, img v1.Image) name.Digest {
	t.Helper()
	cfg, err := img.RawConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	s.put(t, cfg, "")
	raw, err := img.RawManifest()
	if err != nil {
		t.Fatal(err)
	}
	mt, err := img.MediaType()
	if err != nil {
		t.Fatal(err)
	}
	return imageRef(s.put(t, raw, mt))
}

// putIndex stores an index with its images.
func (s *imageStore) putIndex(t testing.TB, idx v1.ImageIndex) name.Digest {
	t.Helper()
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	for _, desc := range im.Manifests {
		img, err := idx.Image(desc.Digest)
		if err != nil {
			t.Fatal(err)
		}
		s.putImage(t, img)
	}
	raw, err := idx.RawManifest()
	if err != nil {
		t.Fatal(err)
	}
	return imageRef(s.put(t, raw, types.OCIImageIndex))
}

func imageRef(h v1.Hash) name.Digest {
	return mustDigest("127.0.0.1:5000/staging/app@" + h.String())
}

// image is a linux/amd64 image with the given config, layer count and
// manifest annotations.
func image(t testing.TB, cfg v1.Config, layers int, ann map[string]string) v1.Image {
	t.Helper()
	img, err := mutate.ConfigFile(empty.Image, &v1.ConfigFile{OS: "linux",
		Architecture: "amd64", Config: cfg, RootFS: v1.RootFS{Type: "layers"}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range layers {
		l := static.NewLayer([]byte(fmt.Sprintf("layer %d of %s", i, cfg.User)), types.OCILayer)
		if img, err = mutate.AppendLayers(img, l); err != nil {
			t.Fatal(err)
		}
	}
	img = mutate.MediaType(img, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	if ann != nil {
		img = mutate.Annotations(img, ann).(v1.Image)
	}
	return img
}

// imagePolicy is a policy requiring a release signature and the given
// image rules (YAML lines at the indentation of image's fields).
func imagePolicy(rules string) string {
	return `  - name: p
    scope: ["*/staging/**"]
    signatures: {anyOf: [release]}
    image:
      ` + strings.ReplaceAll(strings.TrimSpace(rules), "\n", "\n      ") + "\n"
}

func verifyImage(t *testing.T, policies string, store *imageStore, d name.Digest,
	ev ...verify.Evidence) *verify.ImageResult {
	t.Helper()
	opts := verify.Options{Policy: load(t, policies), Now: now,
		Backends: []verify.Backend{backend(append(ev, sig("release")))}}
	if store != nil {
		opts.ImageReader = store
	}
	return verify.Digest(context.Background(), d, opts)
}

// checkNamed returns the check of the image's first policy with the given
// requirement.
func checkNamed(t *testing.T, r *verify.ImageResult, req string) verify.Check {
	t.Helper()
	if r.Status == verify.StatusError || len(r.Policies) == 0 {
		t.Fatalf("verification did not run: %s", r.Error)
	}
	for _, c := range r.Policies[0].Checks {
		if c.Requirement == req {
			return c
		}
	}
	t.Fatalf("no check %q in %+v", req, r.Policies[0].Checks)
	return verify.Check{}
}

const base = "org.opencontainers.image.base.name"

// TestImageRules checks each image rule on an image that meets it and on
// one that does not, by its own check and reason.
func TestImageRules(t *testing.T) {
	labels := map[string]string{"org.opencontainers.image.source": "https://example.com/app",
		"org.opencontainers.image.vendor": "Example"}
	distroless := map[string]string{base: "gcr.io/distroless/static-debian12:nonroot"}
	tests := []struct {
		name   string
		rules  string
		cfg    v1.Config
		layers int
		ann    map[string]string
		req    string
		pass   bool
		reason string
	}{
		{"nonRoot met", "nonRoot: true", v1.Config{User: "10001:10001"}, 1, nil,
			"image.nonRoot", true, `nonRoot: runs as user "10001:10001"`},
		{"nonRoot without user", "nonRoot: true", v1.Config{}, 1, nil,
			"image.nonRoot", false, "nonRoot: the config sets no user, so the image runs as root"},
		{"nonRoot as uid 0", "nonRoot: true", v1.Config{User: "0:10001"}, 1, nil,
			"image.nonRoot", false, `nonRoot: the image runs as root (user "0:10001")`},
		{"nonRoot as root by name", "nonRoot: true", v1.Config{User: "root"}, 1, nil,
			"image.nonRoot", false, `(user "root")`},
		{"labels met", "requiredLabels: {org.opencontainers.image.source: '', " +
			"org.opencontainers.image.vendor: Example}", v1.Config{User: "app", Labels: labels},
			1, nil, "image.requiredLabels", true, "requiredLabels: has " +
				"org.opencontainers.image.source, org.opencontainers.image.vendor"},
		{"label missing", "requiredLabels: {maintainer: ''}", v1.Config{Labels: labels}, 1, nil,
			"image.requiredLabels", false, "requiredLabels: label maintainer is missing"},
		{"label wrong", "requiredLabels: {org.opencontainers.image.vendor: Acme}",
			v1.Config{Labels: labels}, 1, nil, "image.requiredLabels", false,
			`requiredLabels: label org.opencontainers.image.vendor is "Example", not "Acme"`},
		{"base image allowed", "allowedBaseImages: [gcr.io/distroless/**]", v1.Config{}, 1,
			distroless, "image.allowedBaseImages", true,
			"base image gcr.io/distroless/static-debian12:nonroot matches gcr.io/distroless/**"},
		{"base image from a label", "allowedBaseImages: ['docker.io/library/alpine:3.*']",
			v1.Config{Labels: map[string]string{base: "alpine:3.20"}}, 1, nil,
			"image.allowedBaseImages", true, "base image alpine:3.20 matches"},
		{"base image not allowed", "allowedBaseImages: ['docker.io/library/alpine:3.*']",
			v1.Config{}, 1, distroless, "image.allowedBaseImages", false,
			"allowedBaseImages: base image gcr.io/distroless/static-debian12:nonroot is not " +
				"allowed (allowed: docker.io/library/alpine:3.*)"},
		{"base image unknown", "allowedBaseImages: [gcr.io/distroless/**]", v1.Config{}, 1, nil,
			"image.allowedBaseImages", false, "allowedBaseImages: base image unknown: the image " +
				"has no org.opencontainers.image.base.name annotation or label"},
		{"base image unreadable", "allowedBaseImages: ['**']", v1.Config{}, 1,
			map[string]string{base: "Not A Reference"}, "image.allowedBaseImages", false,
			`base image "Not A Reference" cannot be read`},
		{"env clean", "deniedEnv: ['*_TOKEN', AWS_SECRET_ACCESS_KEY]",
			v1.Config{Env: []string{"PATH=/usr/bin", "TOKEN_URL=https://x"}}, 1, nil,
			"image.deniedEnv", true, "none of 2 environment variable(s) denied"},
		{"env secret", "deniedEnv: ['*_TOKEN', AWS_SECRET_ACCESS_KEY]", v1.Config{Env: []string{
			"PATH=/usr/bin", "github_token=ghp_s3cr3t", "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI"}},
			1, nil, "image.deniedEnv", false, "deniedEnv: 2 environment variable(s) denied: " +
				"github_token (denied by *_TOKEN); AWS_SECRET_ACCESS_KEY (denied by " +
				"AWS_SECRET_ACCESS_KEY)"},
		{"env by value", "deniedEnv: ['*=*PRIVATE KEY*']", v1.Config{Env: []string{
			"TLS_KEY=-----BEGIN PRIVATE KEY-----"}}, 1, nil, "image.deniedEnv", false,
			"TLS_KEY (denied by *=*PRIVATE KEY*)"},
		{"layers within", "maxLayers: 3", v1.Config{}, 3, nil, "image.maxLayers", true,
			"maxLayers 3: 3 layer(s)"},
		{"layers over", "maxLayers: 3", v1.Config{}, 4, nil, "image.maxLayers", false,
			"maxLayers 3: the image has 4 layers"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			store := newImageStore()
			d := store.putImage(t, image(t, tc.cfg, tc.layers, tc.ann))
			r := verifyImage(t, imagePolicy(tc.rules), store, d)
			c := checkNamed(t, r, tc.req)
			if c.Passed != tc.pass || r.Passed() != tc.pass {
				t.Fatalf("check passed = %v, image %s, want %v: %s", c.Passed, r.Status, tc.pass,
					c.Reason)
			}
			if !strings.Contains(c.Reason, tc.reason) {
				t.Errorf("reason %q lacks %q", c.Reason, tc.reason)
			}
			if !strings.HasPrefix(c.Position, "trust.yaml:10:7") {
				t.Errorf("position %q is not the rule's line", c.Position)
			}
			for _, secret := range []string{"ghp_s3cr3t", "wJalrXUtnFEMI", "BEGIN PRIVATE"} {
				if strings.Contains(c.Reason, secret) && !strings.Contains(tc.rules, secret) {
					t.Errorf("reason %q shows the value of a secret", c.Reason)
				}
			}
		})
	}
}

// TestImageRulesIndex checks that every platform of an index is judged,
// that the reason names the platform that failed, and that buildx's
// attestation manifests are left out.
func TestImageRulesIndex(t *testing.T) {
	store := newImageStore()
	amd := image(t, v1.Config{User: "10001"}, 1, nil)
	arm := image(t, v1.Config{User: "0"}, 1, nil)
	att := image(t, v1.Config{}, 1, nil)
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: amd, Descriptor: v1.Descriptor{
			Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: arm, Descriptor: v1.Descriptor{
			Platform: &v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}}},
		mutate.IndexAddendum{Add: att, Descriptor: v1.Descriptor{
			Platform:    &v1.Platform{OS: "unknown", Architecture: "unknown"},
			Annotations: map[string]string{"vnd.docker.reference.type": "attestation-manifest"}}},
	)
	d := store.putIndex(t, idx)
	r := verifyImage(t, imagePolicy("nonRoot: true\nmaxLayers: 1"), store, d)
	c := checkNamed(t, r, "image.nonRoot")
	if c.Passed || c.Reason != `nonRoot: linux/arm64/v8: the image runs as root (user "0")` {
		t.Errorf("nonRoot = %v: %s", c.Passed, c.Reason)
	}
	c = checkNamed(t, r, "image.maxLayers")
	if !c.Passed || c.Reason != "maxLayers 1: linux/amd64: 1 layer(s); linux/arm64/v8: 1 layer(s)" {
		t.Errorf("maxLayers = %v: %s", c.Passed, c.Reason)
	}
	attDigest, _ := att.Digest()
	if n := store.reads[attDigest.String()]; n != 0 {
		t.Errorf("the attestation manifest was read %d times", n)
	}
}

// TestImageReadOncePerDigest checks that the manifest and config are
// read once for all the policies and rules that need them, and not at
// all when none does.
func TestImageReadOncePerDigest(t *testing.T) {
	store := newImageStore()
	img := image(t, v1.Config{User: "app"}, 2, nil)
	d := store.putImage(t, img)
	rego := writeRego(t, `deny contains "x" if { input.config.config.User == "root" }`)
	policies := imagePolicy("nonRoot: true\nmaxLayers: 5") + `  - name: q
    scope: ["127.0.0.1:5000/**"]
    signatures: {anyOf: [release]}
    image: {deniedEnv: ["*_TOKEN"]}
    rego: ` + rego + "\n"
	r := verifyImage(t, policies, store, d)
	if !r.Passed() {
		t.Fatalf("want a pass: %+v", r)
	}
	cfg, _ := img.ConfigName()
	if store.reads[d.DigestStr()] != 1 || store.reads[cfg.String()] != 1 || len(store.reads) != 2 {
		t.Errorf("reads %v, want the manifest and the config once each", store.reads)
	}

	store.reads = map[string]int{}
	verifyImage(t, sigRule("anyOf: [release]"), store, d)
	if len(store.reads) != 0 {
		t.Errorf("a policy without image rules read %v", store.reads)
	}
}

// TestImageReadFailures checks what happens when the configuration
// cannot be read: a reader failure or a digest mismatch is an error, not
// a verdict; content that is not an image fails the rules; and image
// rules without a reader are an error.
func TestImageReadFailures(t *testing.T) {
	policies := imagePolicy("nonRoot: true")
	store := newImageStore()
	d := store.putImage(t, image(t, v1.Config{User: "app"}, 1, nil))

	if r := verifyImage(t, policies, nil, d); r.Status != verify.StatusError ||
		!strings.Contains(r.Error, "no ImageReader") {
		t.Errorf("without a reader: %s %s", r.Status, r.Error)
	}

	store.fail = errors.New("registry down")
	if r := verifyImage(t, policies, store, d); r.Status != verify.StatusError ||
		!strings.Contains(r.Error, "registry down") {
		t.Errorf("with a failing reader: %s %s", r.Status, r.Error)
	}
	store.fail = nil

	store.raw[d.DigestStr()] = []byte(`{"schemaVersion": 2}`)
	if r := verifyImage(t, policies, store, d); r.Status != verify.StatusError ||
		!strings.Contains(r.Error, "content has digest") {
		t.Errorf("with a manifest that does not match its digest: %s %s", r.Status, r.Error)
	}

	artifact := mutate.ConfigMediaType(image(t, v1.Config{User: "app"}, 1, nil),
		"application/vnd.example.chart.config.v1+json")
	d = store.putImage(t, artifact)
	r := verifyImage(t, policies, store, d)
	c := checkNamed(t, r, "image.nonRoot")
	if r.Status != verify.StatusFail || c.Passed || !strings.Contains(c.Reason,
		"cannot read the image configuration: "+d.DigestStr()+" is not an image: its config "+
			"is application/vnd.example.chart.config.v1+json") {
		t.Errorf("an artifact: %s: %s", r.Status, c.Reason)
	}
}

// writeRego writes a module in package vouch with the given rules and
// returns its path.
func writeRego(t *testing.T, rules string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "policy.rego")
	if err := os.WriteFile(p, []byte("package vouch\n\n"+rules+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// attestationOf is an attestation by ci about the image d.
func attestationOf(t *testing.T, d name.Digest, predicateType string, pred []byte) verify.Evidence {
	t.Helper()
	h, _ := v1.NewHash(d.DigestStr())
	st, err := attest.Statement(d.Context().Name(), h, predicateType, pred)
	if err != nil {
		t.Fatal(err)
	}
	return &fake{kind: verify.KindAttestation, by: []string{"ci"}, st: st}
}

// TestRegoPolicy checks a policy's own Rego rule: its deny messages as
// the check's reason, a pass when nothing is denied, the input it sees,
// and the platforms of an index named when only some are denied.
func TestRegoPolicy(t *testing.T) {
	rego := writeRego(t, `deny contains msg if {
	not input.config.config.Labels.maintainer
	msg := sprintf("%s@%s has no maintainer label", [input.image.repository, input.image.digest])
}

deny contains msg if {
	input.config.config.User == "0"
	msg := "runs as uid 0"
}
`)
	policies := sigRule("anyOf: [release]") + "    rego: " + rego + "\n"
	store := newImageStore()
	good := store.putImage(t, image(t, v1.Config{User: "app",
		Labels: map[string]string{"maintainer": "me"}}, 1, nil))
	c := checkNamed(t, verifyImage(t, policies, store, good), "rego")
	if !c.Passed || c.Reason != "rego "+rego+": nothing denied" {
		t.Errorf("good image: %v %s", c.Passed, c.Reason)
	}

	bad := store.putImage(t, image(t, v1.Config{User: "0"}, 1, nil))
	c = checkNamed(t, verifyImage(t, policies, store, bad), "rego")
	want := "rego " + rego + ": " + bad.String() + " has no maintainer label; rego " +
		rego + ": runs as uid 0"
	if c.Passed || c.Reason != want || c.Position != "trust.yaml:9:11" {
		t.Errorf("bad image: %v %s at %s\nwant %s", c.Passed, c.Reason, c.Position, want)
	}

	idx := store.putIndex(t, mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: image(t, v1.Config{User: "app"}, 1, nil),
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: image(t, v1.Config{User: "0"}, 1, nil),
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64"}}}))
	c = checkNamed(t, verifyImage(t, policies, store, idx), "rego")
	want = "rego " + rego + ": " + idx.String() + " has no maintainer label; rego " +
		rego + ": runs as uid 0 (linux/arm64)"
	if c.Passed || c.Reason != want {
		t.Errorf("index: %s\nwant %s", c.Reason, want)
	}
}

// TestRegoAttestation checks Rego on an attestation requirement: it sees
// the whole statement and the normalized findings, and its messages fail
// the requirement alongside the content rules.
func TestRegoAttestation(t *testing.T) {
	rego := writeRego(t, `deny contains msg if {
	some f in input.findings
	f.severity == "critical"
	not f.fixedVersion
	msg := sprintf("%s in %s has no fix", [f.id, f.package])
}

deny contains "the statement names another image" if {
	some s in input.statement.subject
	not endswith(input.image.digest, s.digest.sha256)
}
`)
	store := newImageStore()
	d := store.putImage(t, image(t, v1.Config{User: "app"}, 1, nil))
	report := func(vulns ...map[string]string) []byte {
		b, _ := json.Marshal(map[string]any{
			"SchemaVersion": 2, "ArtifactName": "app", "ArtifactType": "container_image",
			"CreatedAt": now.Add(-time.Hour).Format(time.RFC3339),
			"Results":   []any{map[string]any{"Target": "app", "Vulnerabilities": vulns}},
		})
		scan, err := attest.ParseScan(b)
		if err != nil {
			t.Fatal(err)
		}
		pred, err := scan.Predicate()
		if err != nil {
			t.Fatal(err)
		}
		return pred
	}
	policies := `  - name: p
    scope: ["*/staging/**"]
    attestations:
      - type: vuln
        signedBy: [ci]
        rules: {maxSeverity: critical}
        rego: ` + rego + "\n"
	fixed := report(map[string]string{"VulnerabilityID": "CVE-1", "PkgName": "zlib",
		"InstalledVersion": "1.2", "FixedVersion": "1.3", "Severity": "CRITICAL"})
	c := checkNamed(t, verifyImage(t, policies, store, d,
		attestationOf(t, d, attest.PredicateVuln, fixed)), "attestations[0] vuln")
	if !c.Passed {
		t.Errorf("a fixable critical: %s", c.Reason)
	}
	unfixed := report(map[string]string{"VulnerabilityID": "CVE-2", "PkgName": "openssl",
		"InstalledVersion": "3.0", "Severity": "CRITICAL"})
	c = checkNamed(t, verifyImage(t, policies, store, d,
		attestationOf(t, d, attest.PredicateVuln, unfixed)), "attestations[0] vuln")
	if c.Passed || c.Reason != "rego "+rego+": CVE-2 in openssl has no fix" {
		t.Errorf("an unfixable critical: %s", c.Reason)
	}
}

// TestRegoTimeout checks that a rule that would run for minutes is
// stopped and fails its check.
func TestRegoTimeout(t *testing.T) {
	rego := writeRego(t, `deny contains "never" if {
	r := numbers.range(1, 2000)
	some a in r
	some b in r
	some c in r
	a + b + c < 0
}`)
	store := newImageStore()
	d := store.putImage(t, image(t, v1.Config{User: "app"}, 1, nil))
	opts := verify.Options{Policy: load(t, sigRule("anyOf: [release]")+"    rego: "+rego+"\n"),
		Now: now, Backends: []verify.Backend{backend{sig("release")}}, ImageReader: store,
		RegoTimeout: 100 * time.Millisecond}
	start := time.Now()
	r := verify.Digest(context.Background(), d, opts)
	c := checkNamed(t, r, "rego")
	if c.Passed || !strings.Contains(c.Reason, "evaluation stopped (timeout 100ms)") {
		t.Errorf("rego check: %v %s", c.Passed, c.Reason)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("verification took %s with a 100ms Rego timeout", took)
	}
}
