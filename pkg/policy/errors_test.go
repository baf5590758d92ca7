package policy

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// head is a valid start of a policy file: two signers, ending on line 4.
const head = `version: v1
signers:
  release: {cosign: {key: keys/containers-image.cosign.pub}}
  ci: {cosign: {key: keys/containers-image.cosign2.pub}}
`

// errorCases are policies with one problem each. Line and column are where
// the problem must be reported; msg is part of the message.
var errorCases = []struct {
	name      string
	src       string
	line, col int
	msg       string
}{
	{"unknown top-level field", head + "policies: [{name: p, scope: ['**'], signatures: " +
		"{anyOf: [ci]}}]\nkind: TrustPolicy\n", 6, 1, `unknown field "kind" in policy file`},
	{"unknown policy field", head + "policies:\n- name: p\n  scope: [a/b]\n" +
		"  signatures: {anyOf: [ci]}\n  signature: {anyOf: [ci]}\n", 9, 3,
		`unknown field "signature" in policy "p"`},
	{"unknown attestation field", head + "policies:\n- name: p\n  scope: [a/b]\n" +
		"  attestations:\n  - {type: sbom, signedBy: [ci], max_age: 1h}\n",
		9, 34, `unknown field "max_age" in attestation`},
	{"unknown waiver field", head + vulnPolicyH("waivers: [{id: X, until: 2027-01-01, "+
		"reason: r, owner: me}]"), 14, 55, `unknown field "owner" in waiver for X`},
	{"unknown signer in anyOf", head + "policies:\n- name: p\n  scope: [a/b]\n" +
		"  signatures: {anyOf: [ci, relase]}\n", 8, 28, `unknown signer "relase" in anyOf`},
	{"unknown signer in allOf", head + "policies:\n- name: p\n  scope: [a/b]\n" +
		"  signatures:\n    allOf:\n    - nobody\n", 10, 7, `unknown signer "nobody" in allOf`},
	{"unknown signer in signedBy", head + "policies:\n- name: p\n  scope: [a/b]\n" +
		"  attestations:\n  - {type: sbom, signedBy: [cii]}\n", 9, 29,
		`unknown signer "cii" in signedBy; signers are: ci, release`},
	{"bad glob", head + "policies:\n- name: p\n  scope: [a/b, 'reg/[abc/x']\n" +
		"  signatures: {anyOf: [ci]}\n", 7, 16, `segment "[abc" is not a valid glob`},
	{"misplaced doublestar", head + "policies:\n- name: p\n  scope: [reg/app**]\n" +
		"  signatures: {anyOf: [ci]}\n", 7, 11, `** must be a whole path segment`},
	{"scope with a tag", head + "policies:\n- name: p\n  scope:\n  - reg:5000/app:1.0\n" +
		"  signatures: {anyOf: [ci]}\n", 8, 5, `scope "reg:5000/app:1.0" has a tag`},
	{"scope with a digest", head + "policies:\n- name: p\n  scope: [reg/app@sha256:ab]\n" +
		"  signatures: {anyOf: [ci]}\n", 7, 11, `names a digest`},
	{"scope with an empty segment", head + "policies:\n- name: p\n  scope: [reg//app]\n" +
		"  signatures: {anyOf: [ci]}\n", 7, 11, `empty path segment`},
	{"bad duration", head + "policies:\n- name: p\n  scope: [a/b]\n" +
		"  attestations:\n  - {type: sbom, signedBy: [ci], maxAge: 30d}\n", 9, 42,
		`maxAge "30d" is not a Go duration`},
	{"negative duration", head + "policies:\n- name: p\n  scope: [a/b]\n" +
		"  attestations:\n  - {type: sbom, signedBy: [ci], maxAge: -1h}\n", 9, 42,
		`maxAge "-1h" must be positive`},
	{"bad severity", head + vulnPolicy("severe", ""), 13, 20,
		`unknown severity "severe"`},
	{"waiver without reason", head + vulnPolicyH("waivers:\n      - id: CVE-2024-1\n"+
		"        until: 2027-01-31"), 15, 9, `waiver for CVE-2024-1 is missing required field "reason"`},
	{"waiver with empty reason", head + vulnPolicyH("waivers: [{id: X, until: 2027-01-01, "+
		"reason: ''}]"), 14, 52, `waiver reason is empty`},
	{"waiver with bad date", head + vulnPolicyH("waivers: [{id: X, until: 2027-02-30, "+
		"reason: r}]"), 14, 32, `waiver until "2027-02-30" is neither a date`},
	{"waiver with a time but no zone", head + vulnPolicyH("waivers: [{id: X, "+
		"until: '2027-01-01T10:00:00', reason: r}]"), 14, 32, `neither a date`},
	{"duplicate waiver", head + vulnPolicyH("waivers: [{id: X, until: 2027-01-01, reason: r}, "+
		"{id: X, until: 2027-01-01, reason: r}]"), 14, 56, `waiver for X is given twice`},
	{"waivers without maxSeverity", head + "policies:\n- name: p\n  scope: [a/b]\n" +
		"  attestations:\n  - type: vuln\n    signedBy: [ci]\n    rules:\n" +
		"      waivers: [{id: X, until: 2027-01-01, reason: r}]\n", 12, 7,
		`waivers have no effect without maxSeverity`},
	{"vuln rule on an sbom", head + "policies:\n- name: p\n  scope: [a/b]\n" +
		"  attestations:\n  - type: sbom\n    signedBy: [ci]\n    rules: {maxSeverity: low}\n",
		11, 13, `unknown field "maxSeverity" in sbom rules; expected one of format, minPackages`},
	{"unknown attestation type", head + "policies:\n- name: p\n  scope: [a/b]\n" +
		"  attestations:\n  - {type: slsa, signedBy: [ci]}\n", 9, 12,
		`unknown attestation type "slsa"`},
	{"attestation without signedBy", head + "policies:\n- name: p\n  scope: [a/b]\n" +
		"  attestations:\n  - {type: sbom}\n", 9, 5,
		`attestation is missing required field "signedBy"`},
	{"missing key file", "version: v1\nsigners:\n  ci: {cosign: {key: keys/none.pub}}\n" +
		"policies: [{name: p, scope: ['**'], signatures: {anyOf: [ci]}}]\n", 3, 22,
		`signer "ci": cosign key keys/none.pub: stat testdata/keys/none.pub: no such file`},
	{"key file that is not a public key", "version: v1\nsigners:\n" +
		"  ci: {cosign: {key: keys/policy-controller-example.cosign.key}}\n" +
		"policies: [{name: p, scope: ['**'], signatures: {anyOf: [ci]}}]\n", 3, 22,
		`cosign key keys/policy-controller-example.cosign.key: parsing public key`},
	{"key path is a directory", "version: v1\nsigners:\n  ci: {cosign: {key: keys}}\n" +
		"policies: [{name: p, scope: ['**'], signatures: {anyOf: [ci]}}]\n", 3, 22,
		`is not a regular file`},
	{"wrong version", "version: v2\n" + head[len("version: v1\n"):] +
		"policies: [{name: p, scope: ['**'], signatures: {anyOf: [ci]}}]\n", 1, 10,
		`unsupported version "v2"`},
	{"missing version", head[len("version: v1\n"):] +
		"policies: [{name: p, scope: ['**'], signatures: {anyOf: [ci]}}]\n", 1, 1,
		`policy file is missing required field "version"`},
	{"duplicate policy name", head + "policies:\n- {name: p, scope: [a/b], " +
		"signatures: {anyOf: [ci]}}\n- {name: p, scope: [c/d], signatures: {anyOf: [ci]}}\n",
		7, 3, `duplicate policy name "p" (first at testdata/bad.yaml:6:3)`},
	{"duplicate signer", head + "  ci: {cosign: {key: keys/containers-image.cosign.pub}}\n" +
		"policies: [{name: p, scope: ['**'], signatures: {anyOf: [ci]}}]\n", 5, 3,
		`signer "ci" is defined twice`},
	{"duplicate field", head + "policies:\n- name: p\n  name: q\n  scope: [a/b]\n" +
		"  signatures: {anyOf: [ci]}\n", 7, 3, `field "name" is given twice in policy "p"`},
	{"YAML syntax error", head + "policies:\n- name: p\n  scope: [a/b\n", 7, 1,
		`invalid YAML: did not find expected ',' or ']'`},
	{"YAML tab indentation", "version: v1\n\tsigners: {}\n", 2, 1, `invalid YAML`},
	{"empty file", "", 1, 1, `policy file is empty`},
	{"not a mapping", "- version: v1\n", 1, 1, `policy file must be a mapping, not a list`},
	{"two documents", head + "policies: [{name: p, scope: ['**'], signatures: " +
		"{anyOf: [ci]}}]\n---\nversion: v1\n", 6, 1, `more than one YAML document`},
	{"alias", head + "policies:\n- name: p\n  scope: &s [a/b]\n  signatures: {anyOf: [ci]}\n" +
		"- name: q\n  scope: *s\n  signatures: {anyOf: [ci]}\n", 10, 10, `YAML aliases (*s)`},
	{"no signers", "version: v1\nsigners: {}\n" +
		"policies: [{name: p, scope: ['**'], signatures: {anyOf: [ci]}}]\n", 2, 10,
		`signers is empty`},
	{"no policies", head + "policies: []\n", 5, 11, `policies is empty`},
	{"empty scope", head + "policies:\n- name: p\n  scope: []\n  signatures: {anyOf: [ci]}\n",
		7, 10, `scope is empty`},
	{"scope not a list", head + "policies:\n- name: p\n  scope: a/b\n" +
		"  signatures: {anyOf: [ci]}\n", 7, 10, `scope must be a list, not a string`},
	{"policy without name", head + "policies:\n- scope: [a/b]\n  signatures: {anyOf: [ci]}\n",
		6, 3, `policy is missing required field "name"`},
	{"empty signatures", head + "policies:\n- name: p\n  scope: [a/b]\n  signatures: {}\n",
		8, 15, `signatures names no signer`},
	{"empty anyOf", head + "policies:\n- name: p\n  scope: [a/b]\n" +
		"  signatures: {anyOf: []}\n", 8, 23, `anyOf is empty`},
	{"policy requiring nothing", head + "policies:\n- name: p\n  scope: [a/b]\n", 6, 3,
		`policy "p" requires neither signatures nor attestations`},
	{"signer without kind", head + "  x: {}\npolicies: [{name: p, scope: ['**'], " +
		"signatures: {anyOf: [ci]}}]\n", 5, 3, `signer "x" has no kind`},
	{"signer of two kinds", head + "  x: {cosign: {key: k}, notation: {}}\n" +
		"policies: [{name: p, scope: ['**'], signatures: {anyOf: [ci]}}]\n", 5, 6,
		`signer "x" has more than one kind`},
	{"keyless without issuer", keyless("subject: s"), 5, 25,
		`cosign keyless is missing required field "issuer"`},
	{"keyless empty issuer", keyless(`issuer: "", subject: s`), 5, 66,
		`cosign keyless issuer is empty`},
	{"keyless without subject", keyless("issuer: i"), 5, 25,
		`is missing subject or subjectRegexp`},
	{"keyless with both subjects", keyless("issuer: i, subject: s, subjectRegexp: s"), 5, 81,
		`has both subject and subjectRegexp`},
	{"keyless bad subjectRegexp", keyless("issuer: i, subjectRegexp: 'a('"), 5, 84,
		`subjectRegexp: error parsing regexp`},
	{"keyless subject not a string", keyless("issuer: i, subject: [s]"), 5, 78,
		`subject must be a string, not a list`},
	{"keyless missing trustedRoot file", head + "  x: {cosign: {keyless: {issuer: i, " +
		"subject: s, trustedRoot: nope.json}}}\n" + tail, 5, 62, `trustedRoot nope.json`},
	{"keyless trustedRoot not a trusted root", head + "  x: {cosign: {keyless: {issuer: i, " +
		"subject: s, trustedRoot: valid.yaml}}}\n" + tail, 5, 62, `loading trusted root`},
	{"keyless requireTlog not a bool", keyless("issuer: i, subject: s, requireTlog: yes"),
		5, 94, `requireTlog must be true or false`},
	{"keyless requireTimestamp not a bool", keyless("issuer: i, subject: s, " +
		"requireTimestamp: 1"), 5, 99, `requireTimestamp must be true or false`},
	{"keyless unknown field", keyless("issuer: i, subject: s, issuerRegexp: i"), 5, 81,
		`unknown field "issuerRegexp" in signer "x" cosign keyless`},
	{"cosign with key and keyless", head + "  x: {cosign: {key: k, keyless: {issuer: i}}}\n" +
		tail, 5, 24, `signer "x" cosign has both key and keyless`},
	{"cosign without key", head + "  x: {cosign: {}}\n" +
		"policies: [{name: p, scope: ['**'], signatures: {anyOf: [ci]}}]\n", 5, 15,
		`signer "x" cosign is missing required field "key"`},
	{"null name", head + "policies:\n- name:\n  scope: [a/b]\n  signatures: {anyOf: [ci]}\n",
		6, 8, `policy name is empty`},
}

// tail is a policies section for a file whose signers end on line 5.
const tail = "policies: [{name: p, scope: ['**'], signatures: {anyOf: [ci]}}]\n"

// keyless returns head with a keyless signer "x" on line 5 whose fields,
// starting at column 58, are fields, with testdata/trusted_root.json.
func keyless(fields string) string {
	return head + "  x: {cosign: {keyless: {trustedRoot: trusted_root.json, " + fields + "}}}\n" +
		tail
}

// vulnPolicy returns a policies section, starting on line 5 after head,
// whose vuln rules have maxSeverity sev on line 13 and then the given YAML
// from line 14, column 7.
func vulnPolicy(sev, rules string) string {
	return "policies:\n- name: p\n  scope: [a/b]\n  attestations:\n  - type: vuln\n" +
		"    signedBy: [ci]\n    maxAge: 24h\n    rules:\n      maxSeverity: " + sev +
		"\n      " + rules + "\n"
}

// vulnPolicyH is vulnPolicy with maxSeverity high.
func vulnPolicyH(rules string) string { return vulnPolicy("high", rules) }

func TestParseErrors(t *testing.T) {
	file := filepath.Join("testdata", "bad.yaml")
	for _, tc := range errorCases {
		t.Run(tc.name, func(t *testing.T) {
			checkOneError(t, file, tc.src, tc.line, tc.col, tc.msg)
		})
	}
}

// checkOneError parses src as file and checks that it gives exactly one
// problem, at line and col, whose message contains msg.
func checkOneError(t *testing.T, file, src string, line, col int, msg string) {
	t.Helper()
	p, err := Parse(file, []byte(src))
	if err == nil {
		t.Fatalf("Parse succeeded: %+v", p)
	}
	var perr *Error
	if !errors.As(err, &perr) {
		t.Fatalf("error is not a *Error: %T %v", err, err)
	}
	if _, many := err.(ErrorList); many {
		t.Errorf("want exactly one problem, got:\n%v", err)
	}
	want := Position{File: file, Line: line, Column: col}
	if perr.Pos != want {
		t.Errorf("position %v, want %v (error %q)", perr.Pos, want, err)
	}
	prefix := fmt.Sprintf("%s:%d:%d: ", file, line, col)
	if !strings.HasPrefix(err.Error(), prefix) || !strings.Contains(err.Error(), msg) {
		t.Errorf("error %q, want prefix %q and text %q", err, prefix, msg)
	}
}

// TestParseManyErrors checks that every problem is reported, in file order.
func TestParseManyErrors(t *testing.T) {
	src := "version: v0\nsigners:\n  ci: {cosign: {key: keys/none.pub}}\npolicies:\n" +
		"- name: p\n  scope: ['a/b:1']\n  signatures: {anyOf: [ci, who]}\n"
	_, err := Parse("bad.yaml", []byte(src))
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("error is not an ErrorList: %T %v", err, err)
	}
	var got []string
	for _, e := range list {
		got = append(got, e.Pos.String())
	}
	want := []string{"bad.yaml:1:10", "bad.yaml:3:22", "bad.yaml:6:11", "bad.yaml:7:28"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("positions %v, want %v; errors:\n%v", got, want, err)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("errors.Is(err, fs.ErrNotExist) = false for a missing key: %v", err)
	}
	var first *Error
	if !errors.As(err, &first) || first != list[0] {
		t.Errorf("errors.As did not find the first *Error")
	}
}

func TestPositionString(t *testing.T) {
	for _, tc := range []struct {
		p    Position
		want string
	}{
		{Position{"a.yaml", 3, 7}, "a.yaml:3:7"},
		{Position{"a.yaml", 3, 0}, "a.yaml:3"},
		{Position{"a.yaml", 0, 0}, "a.yaml"},
		{Position{"", 1, 2}, "-:1:2"},
	} {
		if got := tc.p.String(); got != tc.want {
			t.Errorf("%#v.String() = %q, want %q", tc.p, got, tc.want)
		}
	}
}
