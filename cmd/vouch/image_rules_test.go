package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/vouchsec/vouch/internal/testreg"
	"github.com/vouchsec/vouch/verify"
)

// testImage is a linux/amd64 OCI image with the given config, layers
// and manifest annotations.
func testImage(t *testing.T, cfg v1.Config, layers int, ann map[string]string) v1.Image {
	t.Helper()
	img, err := mutate.ConfigFile(empty.Image, &v1.ConfigFile{OS: "linux",
		Architecture: "amd64", Config: cfg, RootFS: v1.RootFS{Type: "layers"}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range layers {
		l := static.NewLayer([]byte(fmt.Sprintf("layer %d for %+v", i, cfg)), types.OCILayer)
		if img, err = mutate.AppendLayers(img, l); err != nil {
			t.Fatal(err)
		}
	}
	img = mutate.ConfigMediaType(mutate.MediaType(img, types.OCIManifestSchema1),
		types.OCIConfigJSON)
	if ann != nil {
		img = mutate.Annotations(img, ann).(v1.Image)
	}
	return img
}

// pushImage pushes img to repo:1.0.0 and returns its digest reference.
func (h *harness) pushImage(repo string, img v1.Image) string {
	h.t.Helper()
	tag, err := name.NewTag(h.ref(repo + ":1.0.0"))
	if err != nil {
		h.t.Fatal(err)
	}
	if err := remote.Write(tag, img, remote.WithContext(h.t.Context())); err != nil {
		h.t.Fatalf("pushing %s: %v", tag, err)
	}
	d, err := img.Digest()
	if err != nil {
		h.t.Fatal(err)
	}
	return h.ref(repo + "@" + d.String())
}

// pushIndex pushes idx to repo:1.0.0 and returns its digest reference.
func (h *harness) pushIndex(repo string, idx v1.ImageIndex) string {
	h.t.Helper()
	tag, err := name.NewTag(h.ref(repo + ":1.0.0"))
	if err != nil {
		h.t.Fatal(err)
	}
	if err := remote.WriteIndex(tag, idx, remote.WithContext(h.t.Context())); err != nil {
		h.t.Fatalf("pushing %s: %v", tag, err)
	}
	d, err := idx.Digest()
	if err != nil {
		h.t.Fatal(err)
	}
	return h.ref(repo + "@" + d.String())
}

// shareKeys copies the key pairs of from into h.
func (h *harness) shareKeys(from *harness) {
	h.t.Helper()
	if err := os.CopyFS(h.path("keys"), os.DirFS(from.path("keys"))); err != nil {
		h.t.Fatal(err)
	}
}

// imageRulePolicy is a policy requiring the release signature and the
// given image rules, one a line.
func imageRulePolicy(rules string) string {
	return `  - name: hardened
    scope: ["*/staging/**"]
    signatures: {anyOf: [release]}
    image:
      ` + strings.ReplaceAll(strings.TrimSpace(rules), "\n", "\n      ") + "\n"
}

// TestImageRules pushes images built for each image rule to a real
// registry, signs them, and verifies them: each rule passes on an image
// that meets it and fails, with its own reason, on one that does not.
func TestImageRules(t *testing.T) {
	const base = "org.opencontainers.image.base.name"
	distroless := map[string]string{base: "gcr.io/distroless/static-debian12:nonroot"}
	labels := map[string]string{"org.opencontainers.image.source": "https://github.com/acme/app",
		"org.opencontainers.image.vendor": "Acme"}
	tests := []struct {
		name   string
		rules  string
		cfg    v1.Config
		layers int
		ann    map[string]string
		pass   bool
		want   []string
	}{
		{"nonRoot met", "nonRoot: true", v1.Config{User: "10001"}, 1, nil, true,
			[]string{"image.nonRoot", `nonRoot: runs as user "10001"`}},
		{"nonRoot unset user", "nonRoot: true", v1.Config{}, 1, nil, false,
			[]string{"image.nonRoot", "the config sets no user, so the image runs as root"}},
		{"nonRoot uid 0", "nonRoot: true", v1.Config{User: "0:0"}, 1, nil, false,
			[]string{`nonRoot: the image runs as root (user "0:0")`}},
		{"nonRoot root group", "nonRoot: true", v1.Config{User: "root:app"}, 1, nil, false,
			[]string{`(user "root:app")`}},
		{"requiredLabels met", "requiredLabels:\n  org.opencontainers.image.source: ''\n" +
			"  org.opencontainers.image.vendor: Acme", v1.Config{Labels: labels}, 1, nil, true,
			[]string{"image.requiredLabels"}},
		{"requiredLabels missing", "requiredLabels: {maintainer: ''}", v1.Config{Labels: labels},
			1, nil, false, []string{"requiredLabels: label maintainer is missing"}},
		{"requiredLabels wrong value", "requiredLabels: {org.opencontainers.image.vendor: Example}",
			v1.Config{Labels: labels}, 1, nil, false,
			[]string{`label org.opencontainers.image.vendor is "Acme", not "Example"`}},
		{"allowedBaseImages met", "allowedBaseImages: [gcr.io/distroless/**, cgr.dev/**]",
			v1.Config{}, 1, distroless, true, []string{"image.allowedBaseImages",
				"matches gcr.io/distroless/**"}},
		{"allowedBaseImages other base", "allowedBaseImages: ['docker.io/library/alpine:3.*']",
			v1.Config{}, 1, map[string]string{base: "docker.io/library/ubuntu:24.04"}, false,
			[]string{"base image docker.io/library/ubuntu:24.04 is not allowed"}},
		{"allowedBaseImages unknown", "allowedBaseImages: [gcr.io/distroless/**]", v1.Config{},
			1, nil, false, []string{"allowedBaseImages: base image unknown"}},
		{"deniedEnv met", "deniedEnv: ['*_TOKEN', '*PASSWORD*']",
			v1.Config{Env: []string{"PATH=/usr/local/bin:/usr/bin", "PIP_NO_CACHE_DIR=1"}}, 1,
			nil, true, []string{"image.deniedEnv"}},
		{"deniedEnv secret", "deniedEnv: ['*_TOKEN', AWS_SECRET_ACCESS_KEY]",
			v1.Config{Env: []string{"PATH=/usr/bin", "NPM_TOKEN=npm_hunter2hunter2"}}, 1, nil,
			false, []string{"deniedEnv: 1 environment variable(s) denied: " +
				"NPM_TOKEN (denied by *_TOKEN)"}},
		{"maxLayers met", "maxLayers: 2", v1.Config{}, 2, nil, true,
			[]string{"image.maxLayers", "maxLayers 2: 2 layer(s)"}},
		{"maxLayers over", "maxLayers: 2", v1.Config{}, 3, nil, false,
			[]string{"maxLayers 2: the image has 3 layers"}},
	}
	host := testreg.GGCR(t, true)
	keys := newHarness(t, host)
	keys.keys("release")
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, host)
			h.shareKeys(keys)
			img := h.pushImage(fmt.Sprintf("staging/image%d", i),
				testImage(t, tc.cfg, tc.layers, tc.ann))
			h.must("sign", "--key", h.path("keys/release.key"), img)
			pol := h.write("policy.yaml", "version: v1\nsigners:\n"+
				"  release: {cosign: {key: keys/release.pub}}\npolicies:\n"+
				imageRulePolicy(tc.rules))
			code := exitPolicy
			if tc.pass {
				code = exitOK
			}
			out := h.expect(code, append(tc.want, "signed by release"), "verify", "--policy",
				pol, img)
			if strings.Contains(out, "hunter2") {
				t.Errorf("the report shows a secret's value:\n%s", out)
			}
			rep := h.jsonReport("verify", "--policy", pol, img)
			checks := rep.Images[0].Policies[0].Checks
			if len(checks) != 2 || checks[1].Passed != tc.pass ||
				!strings.HasPrefix(checks[1].Position, pol+":9:7") {
				t.Errorf("checks %+v, want the signature and the rule at %s:9:7", checks, pol)
			}
		})
	}
}

// jsonReport runs a verify command line with the JSON report written to
// a file, whatever the verdict, and returns the report.
func (h *harness) jsonReport(args ...string) *verify.Report {
	h.t.Helper()
	file := h.path("report.json")
	h.vouch(append(args, "-o", "json", "--output-file", file)...)
	data, err := os.ReadFile(file)
	if err != nil {
		h.t.Fatalf("vouch %s wrote no report: %v", strings.Join(args, " "), err)
	}
	return decodeReport(h.t, string(data))
}

// TestImageRulesIndex checks on the distribution registry that every
// platform of a multi-platform image is judged, that the reason names the
// platform that fails, and that the configurations are read by digest,
// each once: one index, two manifests and two configs, no tag read again.
func TestImageRulesIndex(t *testing.T) {
	host, counter := testreg.DistributionCounted(t)
	h := newHarness(t, host)
	h.keys("release")
	platform := func(arch, user string) mutate.IndexAddendum {
		return mutate.IndexAddendum{Add: testImage(t, v1.Config{User: user}, 1, nil),
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: arch}}}
	}
	img := h.pushIndex("staging/multi", mutate.AppendManifests(empty.Index,
		platform("amd64", "10001"), platform("arm64", "0")))
	tag := h.ref("staging/multi:1.0.0")
	h.must("sign", "--key", h.path("keys/release.key"), img)
	signed := h.write("signed.yaml", "version: v1\nsigners:\n"+
		"  release: {cosign: {key: keys/release.pub}}\npolicies:\n"+
		"  - {name: hardened, scope: ['*/staging/**'], signatures: {anyOf: [release]}}\n")
	pol := h.write("policy.yaml", "version: v1\nsigners:\n"+
		"  release: {cosign: {key: keys/release.pub}}\npolicies:\n"+
		imageRulePolicy("nonRoot: true\nmaxLayers: 1"))

	counter.Reset()
	h.must("verify", "--policy", signed, tag)
	plain := counter.Count()
	counter.Reset()
	out := h.expect(exitPolicy, []string{
		`nonRoot: linux/arm64: the image runs as root (user "0")`,
		"maxLayers 1: linux/amd64: 1 layer(s); linux/arm64: 1 layer(s)",
	}, "verify", "--policy", pol, tag)
	if strings.Contains(out, `linux/amd64: the image runs as root`) {
		t.Errorf("amd64 reported as root:\n%s", out)
	}
	if got := counter.Count() - plain; got != 5 {
		t.Errorf("image rules cost %d requests, want 5 (index, 2 manifests, 2 configs)", got)
	}
}

// regoFile returns the absolute path of a Rego module in examples/rego.
func regoFile(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", "examples", "rego", name))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestRegoRules verifies images against the example Rego modules on a
// policy and on a vuln attestation requirement: every deny message is a
// reason in the report, and an image that gives none passes.
func TestRegoRules(t *testing.T) {
	h := newHarness(t, testreg.GGCR(t, true))
	h.keys("release", "ci")
	pol := h.policy(`  - name: p
    scope: ["*/staging/**"]
    signatures: {anyOf: [release]}
    rego: ` + regoFile(t, "image.rego") + `
    attestations:
      - type: vuln
        signedBy: [ci]
        rules: {maxSeverity: critical}
        rego: ` + regoFile(t, "vuln.rego") + "\n")
	build := func(repo string, ports map[string]struct{}, steps ...string) string {
		img := testImage(t, v1.Config{User: "app", ExposedPorts: ports}, 1, nil)
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range steps {
			cf.History = append(cf.History, v1.History{CreatedBy: s})
		}
		if img, err = mutate.ConfigFile(img, cf); err != nil {
			t.Fatal(err)
		}
		ref := h.pushImage(repo, img)
		h.must("sign", "--key", h.path("keys/release.key"), ref)
		return ref
	}

	clean := build("staging/clean", map[string]struct{}{"8501/tcp": {}},
		"RUN apt-get install -y --no-install-recommends ca-certificates")
	h.must("attest", "--key", h.path("keys/ci.key"), "--scan",
		testdataPath(t, "scan/clean.trivy.json"), clean)
	out := h.must("verify", "--policy", pol, clean)
	if !strings.Contains(out, "nothing denied") {
		t.Errorf("a clean image passed without saying so:\n%s", out)
	}

	risky := build("staging/risky", map[string]struct{}{"80/tcp": {}},
		"RUN wget -qO- https://example.com/get.sh | bash")
	h.must("attest", "--key", h.path("keys/ci.key"), "--scan", h.write("high.trivy.json", `{
  "SchemaVersion": 2, "CreatedAt": "2026-01-01T00:00:00Z",
  "ArtifactName": "risky", "ArtifactType": "container_image",
  "Results": [{"Target": "risky", "Class": "os-pkgs", "Type": "debian", "Vulnerabilities": [
    {"VulnerabilityID": "CVE-2024-6119", "PkgName": "libssl3", "InstalledVersion": "3.0.13-1",
     "FixedVersion": "3.0.14-1", "Severity": "HIGH"},
    {"VulnerabilityID": "CVE-2023-45853", "PkgName": "zlib1g", "InstalledVersion": "1:1.2.13",
     "Severity": "CRITICAL"}]}]
}`), risky)
	rep := h.jsonReport("verify", "--policy", pol, risky)
	checks := rep.Images[0].Policies[0].Checks
	byName := map[string]string{}
	for _, c := range checks {
		if !c.Passed {
			byName[c.Requirement] = c.Reason
		}
	}
	image := regoFile(t, "image.rego")
	for _, want := range []string{
		"rego " + image + ": exposes privileged port 80/tcp; listen on a port above 1023",
		"rego " + image + ": a build step pipes a download into a shell: " +
			"RUN wget -qO- https://example.com/get.sh | bash",
	} {
		if !strings.Contains(byName["rego"], want) {
			t.Errorf("rego check %q lacks %q", byName["rego"], want)
		}
	}
	want := "rego " + regoFile(t, "vuln.rego") + ": CVE-2024-6119 in libssl3 3.0.13-1 " +
		"is fixed in 3.0.14-1: upgrade before release"
	if vuln := byName["attestations[0] vuln"]; vuln != want {
		t.Errorf("vuln check %q, want only the Rego denial %q", vuln, want)
	}
	if _, ok := byName["signatures.anyOf"]; ok || rep.Images[0].Status != verify.StatusFail {
		t.Errorf("want a policy failure with the signature met: %+v", checks)
	}
}

// TestRegoRefusedAtLoad checks that a policy whose Rego calls http.send,
// or does not compile, is refused before anything is fetched, pointing at
// the rego field and at the Rego file's own line and column.
func TestRegoRefusedAtLoad(t *testing.T) {
	h := newHarness(t, "127.0.0.1:1")
	h.keys("release", "ci")
	h.write("checks/net.rego", `package vouch

deny contains msg if {
	resp := http.send({"method": "GET", "url": "https://example.com/allowed.json"})
	not input.image.repository in resp.body
	msg := "not on the list"
}
`)
	h.write("checks/broken.rego", "package vouch\n\ndeny contains msg if {\n\tmsg := \n}\n")
	for _, tc := range []struct {
		file string
		want []string
	}{
		{"checks/net.rego", []string{"policy.yaml:9:11: rego checks/net.rego does not compile: " +
			h.path("checks/net.rego") + ":4:10: rego_type_error: undefined function http.send " +
			"(vouch policies have no network or runtime access)"}},
		{"checks/broken.rego", []string{"policy.yaml:9:11: rego checks/broken.rego does not " +
			"compile: " + h.path("checks/broken.rego") + ":5:1: rego_parse_error"}},
	} {
		pol := h.policy(`  - name: p
    scope: ["*/staging/**"]
    signatures: {anyOf: [release]}
    rego: ` + tc.file + "\n")
		h.expect(exitUsage, tc.want, "verify", "--policy", pol, h.ref("staging/app:1"))
	}
}
