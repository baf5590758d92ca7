package policy

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// imagePolicy returns a policies section, starting on line 5 after head,
// whose image rules start on line 10, column 5, with the given YAML.
func imagePolicy(rules string) string {
	return "policies:\n- name: p\n  scope: [a/b]\n  signatures: {anyOf: [ci]}\n  image:\n    " +
		rules + "\n"
}

// regoPolicy returns a policies section, starting on line 5 after head,
// with the policy's rego field on line 9 (the value at column 9) and an
// attestation's on line 12 (column 7).
func regoPolicy(policyRego, attRego string) string {
	return "policies:\n- name: p\n  scope: [a/b]\n  signatures: {anyOf: [ci]}\n  rego: " +
		policyRego + "\n  attestations:\n  - type: sbom\n    rego: " + attRego +
		"\n    signedBy: [ci]\n"
}

// imageErrorCases are errorCases for the image rules and Rego.
var imageErrorCases = []struct {
	name      string
	src       string
	line, col int
	msg       string
}{
	{"unknown image field", head + imagePolicy("nonroot: true"), 10, 5,
		`unknown field "nonroot" in image rules; expected one of nonRoot, requiredLabels`},
	{"nonRoot not a boolean", head + imagePolicy(`nonRoot: "true"`), 10, 14,
		`nonRoot must be true or false, not a string`},
	{"image rules empty", head + "policies:\n- name: p\n  scope: [a/b]\n" +
		"  signatures: {anyOf: [ci]}\n  image: {}\n", 9, 10, `image rules are empty`},
	{"image rules requiring nothing", head + imagePolicy("nonRoot: false"), 10, 5,
		`image rules require nothing`},
	{"image rules not a mapping", head + "policies:\n- name: p\n  scope: [a/b]\n" +
		"  signatures: {anyOf: [ci]}\n  image: [nonRoot]\n", 9, 10,
		`image rules must be a mapping, not a list`},
	{"requiredLabels a list", head + imagePolicy("requiredLabels: [maintainer]"), 10, 21,
		`requiredLabels must be a mapping, not a list`},
	{"requiredLabels empty", head + imagePolicy("requiredLabels: {}"), 10, 21,
		`requiredLabels is empty`},
	{"label required twice", head + imagePolicy("requiredLabels: {a: x, a: y}"), 10, 28,
		`label "a" is required twice (first at testdata/bad.yaml:10:22)`},
	{"label value a list", head + imagePolicy("requiredLabels: {a: [x]}"), 10, 25,
		`label "a": the value must be a string, not a list`},
	{"base image bad glob", head + imagePolicy("allowedBaseImages: ['reg/[abc']"), 10, 25,
		`allowedBaseImages: "reg/[abc": segment "[abc" is not a valid glob`},
	{"base image tag and digest", head + imagePolicy("allowedBaseImages: [reg/app:1@sha256:"+
		strings.Repeat("a", 64)+"]"), 10, 25, `has both a tag and a digest`},
	{"base image bad digest", head + imagePolicy("allowedBaseImages: [reg/app@sha256:ab]"),
		10, 25, `"sha256:ab" is not a digest`},
	{"base image bad tag glob", head + imagePolicy("allowedBaseImages: ['reg/app:[1']"),
		10, 25, `tag "[1" is not a valid glob`},
	{"base image empty tag", head + imagePolicy("allowedBaseImages: ['reg/app:']"), 10, 25,
		`has an empty tag`},
	{"base image misplaced doublestar", head + imagePolicy("allowedBaseImages: [reg/app**]"),
		10, 25, `** must be a whole path segment`},
	{"base images empty", head + imagePolicy("allowedBaseImages: []"), 10, 24,
		`allowedBaseImages is empty`},
	{"base image twice", head + imagePolicy("allowedBaseImages: [reg/a, reg/a]"), 10, 32,
		`base image "reg/a" is given twice (first at testdata/bad.yaml:10:25)`},
	{"deniedEnv open class", head + imagePolicy("deniedEnv: ['[A-Z'"+"]"), 10, 17,
		`deniedEnv: "[A-Z": character class "[A-Z" is not closed`},
	{"deniedEnv reversed range", head + imagePolicy("deniedEnv: ['[z-a]'"+"]"), 10, 17,
		`character class "[z-a]"`},
	{"deniedEnv without name", head + imagePolicy("deniedEnv: ['=secret']"), 10, 17,
		`"=secret" has no variable name`},
	{"deniedEnv trailing backslash", head + imagePolicy(`deniedEnv: ['TOKEN\']`), 10, 17,
		`a trailing \ escapes nothing`},
	{"deniedEnv twice", head + imagePolicy("deniedEnv: ['*_TOKEN', '*_TOKEN']"), 10, 28,
		`deniedEnv pattern "*_TOKEN" is given twice`},
	{"deniedEnv a string", head + imagePolicy("deniedEnv: '*_TOKEN'"), 10, 16,
		`deniedEnv must be a list, not a string`},
	{"maxLayers zero", head + imagePolicy("maxLayers: 0"), 10, 16,
		`maxLayers 0 allows no image at all`},
	{"maxLayers negative", head + imagePolicy("maxLayers: -2"), 10, 16,
		`maxLayers is -2; it must not be negative`},
	{"maxLayers not a number", head + imagePolicy("maxLayers: many"), 10, 16,
		`maxLayers must be a whole number, not "many"`},
	{"image rules alone", head + "policies:\n- name: p\n  scope: [a/b]\n" +
		"  image: {nonRoot: true}\n", 6, 3, `requires neither signatures nor attestations`},
	{"image rules with skipVerification", head + "policies:\n- name: p\n  scope: [a/b]\n" +
		"  skipVerification: true\n  image: {nonRoot: true}\n", 8, 3,
		`skipVerification: true cannot be combined with signatures, attestations, image or rego`},
	{"rego file missing", head + regoPolicy("rego/none.rego", "rego/labels.rego"), 9, 9,
		`rego rego/none.rego: stat testdata/rego/none.rego: no such file or directory`},
	{"rego empty", head + regoPolicy("''", "rego/labels.rego"), 9, 9, `rego is empty`},
	{"rego a list", head + regoPolicy("[a.rego]", "rego/labels.rego"), 9, 9,
		`rego must be a string, not a list`},
	{"rego http.send", head + regoPolicy("rego/http.rego", "rego/labels.rego"), 9, 9,
		`rego rego/http.rego does not compile: testdata/rego/http.rego:4:10: rego_type_error: ` +
			`undefined function http.send (vouch policies have no network or runtime access)`},
	{"rego net.lookup_ip_addr", head + regoPolicy("rego/labels.rego", "rego/lookup.rego"),
		12, 11, `testdata/rego/lookup.rego:4:11: rego_type_error: ` +
			`undefined function net.lookup_ip_addr`},
	{"rego opa.runtime", head + regoPolicy("rego/runtime.rego", "rego/labels.rego"), 9, 9,
		`testdata/rego/runtime.rego:4:2: rego_type_error: undefined function opa.runtime`},
	{"rego syntax error", head + regoPolicy("rego/labels.rego", "rego/syntax.rego"), 12, 11,
		`rego rego/syntax.rego does not compile: testdata/rego/syntax.rego:5:1: ` +
			`rego_parse_error: unexpected eof token`},
	{"rego unsafe variables", head + regoPolicy("rego/undefined.rego", "rego/labels.rego"),
		9, 9, `testdata/rego/undefined.rego:5:2: rego_unsafe_var_error: var msg is unsafe; ` +
			`testdata/rego/undefined.rego:5:9: rego_unsafe_var_error: var missing is unsafe`},
	{"rego wrong package", head + regoPolicy("rego/wrongpkg.rego", "rego/labels.rego"), 9, 9,
		`testdata/rego/wrongpkg.rego:1:1: package acme.images: a vouch policy module must be ` +
			`package vouch`},
	{"rego without deny", head + regoPolicy("rego/nodeny.rego", "rego/labels.rego"), 9, 9,
		`testdata/rego/nodeny.rego:1:1: the module defines no deny rule`},
	{"rego deny an object", head + regoPolicy("rego/denyobject.rego", "rego/labels.rego"), 9, 9,
		`testdata/rego/denyobject.rego:3:1: deny must be a set of messages`},
	{"rego a directory", head + regoPolicy("rego", "rego/labels.rego"), 9, 9,
		`rego rego: testdata/rego is not a regular file`},
}

func TestParseImageErrors(t *testing.T) {
	file := filepath.Join("testdata", "bad.yaml")
	for _, tc := range imageErrorCases {
		t.Run(tc.name, func(t *testing.T) {
			checkOneError(t, file, tc.src, tc.line, tc.col, tc.msg)
		})
	}
}

// TestLoadImageRules loads a policy using every image rule and Rego in
// both places, and checks what each field became.
func TestLoadImageRules(t *testing.T) {
	file := filepath.Join("testdata", "image.yaml")
	p, err := Load(file)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	ip := p.Policies[0]
	want := &ImageRules{
		NonRoot: true, NonRootPos: pos(file, 10, 7),
		RequiredLabels: []RequiredLabel{
			{Name: "org.opencontainers.image.source", Pos: pos(file, 12, 9)},
			{Name: "org.opencontainers.image.vendor", Value: "Example", Pos: pos(file, 13, 9)},
			{Name: "maintainer", Pos: pos(file, 14, 9)},
		},
		RequiredLabelsPos: pos(file, 11, 7),
		AllowedBaseImages: []ImagePattern{
			{Pattern: "gcr.io/distroless/**", Pos: pos(file, 16, 11)},
			{Pattern: "docker.io/library/alpine:3.*", Pos: pos(file, 17, 11)},
			{Pattern: "cgr.dev/chainguard/static@sha256:" +
				strings.Repeat("0123456789abcdef", 4), Pos: pos(file, 18, 11)},
		},
		AllowedBaseImagesPos: pos(file, 15, 7),
		DeniedEnv: []EnvPattern{
			{Pattern: "*_TOKEN", Pos: pos(file, 19, 19)},
			{Pattern: "AWS_SECRET_ACCESS_KEY", Pos: pos(file, 19, 30)},
			{Pattern: "*PASSWORD*", Pos: pos(file, 19, 53)},
			{Pattern: "DEBUG=[1tT]*", Pos: pos(file, 19, 67)},
		},
		DeniedEnvPos: pos(file, 19, 7),
		MaxLayers:    20, MaxLayersPos: pos(file, 20, 7),
	}
	opts := cmpopts.IgnoreUnexported(ImagePattern{}, EnvPattern{})
	if diff := cmp.Diff(want, ip.Image, opts); diff != "" {
		t.Errorf("image rules differ (-want +got):\n%s", diff)
	}
	for _, r := range []*RegoRule{ip.Rego, ip.Attestations[0].Rego} {
		if r == nil || r.Path != "rego/labels.rego" || r.query == nil ||
			r.File != filepath.Join("testdata", "rego", "labels.rego") {
			t.Errorf("rego rule = %+v", r)
		}
	}
	if ip.Rego.Pos != pos(file, 21, 11) || ip.Attestations[0].Rego.Pos != pos(file, 25, 15) {
		t.Errorf("rego positions %v and %v", ip.Rego.Pos, ip.Attestations[0].Rego.Pos)
	}
}

func TestIsRootUser(t *testing.T) {
	for _, tc := range []struct {
		user, os string
		root     bool
	}{
		{"", "linux", true},
		{"  ", "linux", true},
		{"root", "linux", true},
		{"root:root", "linux", true},
		{"root:10001", "linux", true},
		{"0", "linux", true},
		{"0:0", "linux", true},
		{"0:10001", "linux", true},
		{"00", "linux", true},
		{"+0", "", true},
		{"-0", "", true},
		{" 0 ", "linux", true},
		{":10001", "linux", true},
		{"10001", "linux", false},
		{"10001:0", "linux", false},
		{"app", "linux", false},
		{"nonroot:nonroot", "linux", false},
		{"65532", "", false},
		{"Root", "linux", false},
		{"rooty", "linux", false},
		{"100", "linux", false},
		{"ContainerAdministrator", "windows", true},
		{"containeradministrator", "Windows", true},
		{"", "windows", true},
		{"ContainerUser", "windows", false},
	} {
		if got := IsRootUser(tc.user, tc.os); got != tc.root {
			t.Errorf("IsRootUser(%q, %q) = %v, want %v", tc.user, tc.os, got, tc.root)
		}
	}
}

func TestImagePatternMatches(t *testing.T) {
	digest := "sha256:" + strings.Repeat("ab", 32)
	other := "sha256:" + strings.Repeat("cd", 32)
	for _, tc := range []struct {
		pattern, ref, digest string
		want                 bool
	}{
		{"gcr.io/distroless/**", "gcr.io/distroless/static-debian12:nonroot", "", true},
		{"gcr.io/distroless/**", "gcr.io/distroless/base/nossl@" + digest, "", true},
		{"gcr.io/distroless/**", "gcr.io/distroless-evil/static:latest", "", false},
		{"gcr.io/distroless/*", "gcr.io/distroless/static", "", true},
		{"docker.io/library/alpine:3.*", "docker.io/library/alpine:3.19", "", true},
		{"docker.io/library/alpine:3.*", "alpine:3.19", "", true},
		{"docker.io/library/alpine:3.*", "index.docker.io/library/alpine:3.19", "", true},
		{"docker.io/library/alpine:3.*", "alpine:edge", "", false},
		{"docker.io/library/alpine:3.*", "alpine", "", false},
		{"docker.io/library/alpine:latest", "alpine", "", true},
		{"docker.io/library/alpine:3.*", "alpine@" + digest, "", false},
		{"docker.io/library/alpine:3.*", "alpine:3.19@" + digest, "", true},
		{"docker.io/library/alpine", "alpine:3.19", "", true},
		{"index.docker.io/library/*", "ubuntu:22.04", "", true},
		{"cgr.dev/chainguard/static@" + digest, "cgr.dev/chainguard/static@" + digest, "", true},
		{"cgr.dev/chainguard/static@" + digest, "cgr.dev/chainguard/static:latest", digest, true},
		{"cgr.dev/chainguard/static@" + digest, "cgr.dev/chainguard/static:latest", other, false},
		{"cgr.dev/chainguard/static@" + digest, "cgr.dev/chainguard/static:latest", "", false},
		{"cgr.dev/chainguard/static@" + digest, "cgr.dev/chainguard/static@" + other, digest,
			false},
		{"127.0.0.1:5000/base/*", "127.0.0.1:5000/base/debian:12", "", true},
		{"**", "quay.io/anything/at/all:1", "", true},
		{"**:latest", "quay.io/anything:1", "", false},
	} {
		p, err := compileImagePattern(tc.pattern)
		if err != nil {
			t.Fatalf("compileImagePattern(%q): %v", tc.pattern, err)
		}
		got, err := p.Matches(tc.ref, tc.digest)
		if err != nil || got != tc.want {
			t.Errorf("%q matching %q (digest %q) = %v, %v; want %v", tc.pattern, tc.ref,
				tc.digest, got, err, tc.want)
		}
		// A pattern built by hand compiles on the fly.
		if got, _ := (ImagePattern{Pattern: tc.pattern}).Matches(tc.ref, tc.digest); got != tc.want {
			t.Errorf("uncompiled %q matching %q = %v", tc.pattern, tc.ref, got)
		}
	}
	for _, ref := range []string{"", "UPPER/case:1", "reg/app:bad tag", "reg/app@sha256:x"} {
		p, _ := compileImagePattern("**")
		if ok, err := p.Matches(ref, ""); err == nil {
			t.Errorf("Matches(%q) = %v, want an error", ref, ok)
		}
	}
}

func TestEnvPatternMatches(t *testing.T) {
	for _, tc := range []struct {
		pattern, env string
		want         bool
	}{
		{"*_TOKEN", "GITHUB_TOKEN=ghp_x", true},
		{"*_TOKEN", "github_token=ghp_x", true},
		{"*_TOKEN", "GITHUB_TOKEN", true},
		{"*_TOKEN", "GITHUB_TOKENS=x", false},
		{"*_TOKEN", "TOKEN=x", false},
		{"AWS_SECRET_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY=abc", true},
		{"AWS_SECRET_ACCESS_KEY", "MY_AWS_SECRET_ACCESS_KEY=abc", false},
		{"*PASSWORD*", "DB_PASSWORD_FILE=/run/secrets/db", true},
		{"PATH", "PATH=/usr/bin", true},
		{"PATH", "PATH_EXTRA=/usr/bin", false},
		{"DEBUG=[1tT]*", "DEBUG=true", true},
		{"DEBUG=[1tT]*", "DEBUG=false", false},
		{"DEBUG=[1tT]*", "DEBUG=True", true},
		{"DEBUG=[!0fF]*", "DEBUG=1", true},
		{"DEBUG=[!0fF]*", "DEBUG=0", false},
		{"*=*BEGIN * PRIVATE KEY*", "K=-----BEGIN RSA PRIVATE KEY-----\nMII", true},
		{"*=https://*:*@*", "PROXY=https://user:pass@proxy:3128/", true},
		{"*=https://*:*@*", "URL=https://example.com/", false},
		{"A?C", "ABC=1", true},
		{"A?C", "AC=1", false},
		{`A\*C`, "A*C=1", true},
		{`A\*C`, "ABC=1", false},
		{"A.C", "ABC=1", false},
		{"[]]X", "]X=1", true},
		{"API_KEY=", "API_KEY=", true},
		{"API_KEY=", "API_KEY=set", false},
	} {
		p, err := compileEnvPattern(tc.pattern)
		if err != nil {
			t.Fatalf("compileEnvPattern(%q): %v", tc.pattern, err)
		}
		if got := p.Matches(tc.env); got != tc.want {
			t.Errorf("%q matching %q = %v, want %v", tc.pattern, tc.env, got, tc.want)
		}
		if got := (EnvPattern{Pattern: tc.pattern}).Matches(tc.env); got != tc.want {
			t.Errorf("uncompiled %q matching %q = %v", tc.pattern, tc.env, got)
		}
	}
}
