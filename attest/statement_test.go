package attest

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

const imageDigest = "sha256:be65f488b7764ad3638f236b7b515b3678369a5124c47b8d32916d6487418ea4"

func mustHash(t testing.TB, s string) v1.Hash {
	t.Helper()
	h, err := v1.NewHash(s)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestStatementRoundTrip(t *testing.T) {
	scan, err := ParseScan(readFile(t, "../testdata/scan/critical.trivy.json"))
	if err != nil {
		t.Fatal(err)
	}
	vuln, err := scan.Predicate()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name          string
		predicateType string
		predicate     []byte
		created       string
	}{
		{"spdx", PredicateSPDX, readFile(t, "../testdata/sbom/sample.spdx.json"),
			"2023-11-29T01:44:41Z"},
		{"cyclonedx", PredicateCycloneDX, readFile(t, "../testdata/sbom/trivy.npm-cyclonedx.json"),
			"2021-08-25T12:20:30Z"},
		{"vuln", PredicateVuln, vuln, "2021-08-25T12:20:30.000000005Z"},
	}
	digest := mustHash(t, imageDigest)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Statement("registry.example/app", digest, tt.predicateType, tt.predicate)
			if err != nil {
				t.Fatal(err)
			}
			again, err := Statement("registry.example/app", digest, tt.predicateType, tt.predicate)
			if err != nil || !bytes.Equal(b, again) {
				t.Errorf("Statement is not deterministic (%v)", err)
			}
			st, err := ParseStatement(b)
			if err != nil {
				t.Fatal(err)
			}
			want := []Subject{{Name: "registry.example/app",
				Digest: map[string]string{"sha256": digest.Hex}}}
			if st.Type != StatementV1 || st.PredicateType != tt.predicateType ||
				!reflect.DeepEqual(st.Subjects, want) {
				t.Errorf("got %s %s %+v", st.Type, st.PredicateType, st.Subjects)
			}
			if !jsonEqual(t, st.Predicate, tt.predicate) {
				t.Error("the predicate changed in the statement")
			}
			created, err := st.CreatedAt()
			if err != nil || !created.Equal(mustTime(t, tt.created)) {
				t.Errorf("CreatedAt() = %v, %v; want %s", created, err, tt.created)
			}
		})
	}
}

// jsonEqual compares two JSON documents by value.
func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		t.Fatal(err)
	}
	return reflect.DeepEqual(va, vb)
}

func TestStatementErrors(t *testing.T) {
	digest := mustHash(t, imageDigest)
	pred := []byte(`{"a":1}`)
	tests := []struct {
		name          string
		digest        v1.Hash
		predicateType string
		predicate     []byte
		want          string
	}{
		{"bad digest", v1.Hash{Algorithm: "sha256", Hex: "abc"}, PredicateSPDX, pred,
			"subject digest: wrong number of hex digits"},
		{"no digest", v1.Hash{}, PredicateSPDX, pred, "subject digest"},
		{"array predicate", digest, PredicateSPDX, []byte(`[1]`), "predicate must be a JSON object"},
		{"no predicate", digest, PredicateSPDX, nil, "predicate must be a JSON object"},
		{"no predicate type", digest, "", pred, "predicate type required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Statement("app", tt.digest, tt.predicateType, tt.predicate)
			wantError(t, err, tt.want)
		})
	}
}

func TestParseStatementCosignCycloneDX(t *testing.T) {
	st, err := ParseStatement(readFile(t, "testdata/trivy-cyclonedx-attestation.statement.v0.1.json"))
	if err != nil {
		t.Fatal(err)
	}
	if st.Type != StatementV01 || st.PredicateType != PredicateCycloneDX {
		t.Errorf("got %s %s", st.Type, st.PredicateType)
	}
	if !st.SubjectMatches(mustHash(t, imageDigest)) {
		t.Error("SubjectMatches does not find the subject digest")
	}
	other := mustHash(t, "sha256:"+strings.Repeat("0", 64))
	if st.SubjectMatches(other) {
		t.Error("SubjectMatches matches another digest")
	}
	created, err := st.CreatedAt()
	if err != nil || !created.Equal(mustTime(t, "2022-06-14T15:08:48Z")) {
		t.Errorf("CreatedAt() = %v, %v", created, err)
	}
	sbom, err := ParseSBOM(st.Predicate)
	if err != nil || sbom.Version != "1.4" || sbom.Packages != 3 {
		t.Errorf("predicate as SBOM: %+v, %v", sbom, err)
	}
}

// corpusStatements are the statements of the corpus with their types.
var corpusStatements = map[string][2]string{
	"bcr-MODULE.bazel.provenance-v1.json": {StatementV1, "https://slsa.dev/provenance/v1"},
	"container-provenance-v0.2.slsa-generator-container.json": {StatementV01,
		"https://slsa.dev/provenance/v0.2"},
	"cosign-custom-predicate.oci.json": {StatementV01,
		"https://cosign.sigstore.dev/attestation/v1"},
	"npm-publish-sigstore-1.3.0.json": {StatementV01,
		"https://github.com/npm/attestation/tree/main/specs/publish/v0.1"},
	"sigstore-conformance.statement.v1.json": {StatementV1, "https://slsa.dev/provenance/v1"},
	"sigstore-js-1.3.0.provenance.statement.v0.1.json": {StatementV01,
		"https://slsa.dev/provenance/v0.2"},
	"slsa-github-generator-delegator-v2.1.0.provenance-v1.json": {StatementV01,
		"https://slsa.dev/provenance/v1"},
	"slsa-github-generator-generic-v2.1.0.provenance-v0.2.json": {StatementV01,
		"https://slsa.dev/provenance/v0.2"},
	"trivy-cyclonedx-attestation.statement.v0.1.json": {StatementV01, PredicateCycloneDX},
	"vsa-gke-gce-pre.v1.json": {StatementV1,
		"https://slsa.dev/verification_summary/v1"},
}

func TestParseStatementCorpus(t *testing.T) {
	root := corpus(t) + "/in-toto/statements"
	files := corpusFiles(t, root)
	if len(files) < len(corpusStatements) {
		t.Errorf("found %d statements, want at least %d", len(files), len(corpusStatements))
	}
	for _, rel := range files {
		t.Run(rel, func(t *testing.T) {
			st, err := ParseStatement(readFile(t, root+"/"+rel))
			if err != nil {
				t.Fatal(err)
			}
			if want, ok := corpusStatements[rel]; ok &&
				(st.Type != want[0] || st.PredicateType != want[1]) {
				t.Errorf("got %s %s, want %s %s", st.Type, st.PredicateType, want[0], want[1])
			}
			if _, err := st.CreatedAt(); err != nil {
				t.Errorf("CreatedAt: %v", err)
			}
		})
	}
}

// TestParseStatementCosignVulnDSSE reads the statement cosign signed in
// its vuln attestation test: its times are Go's zero time.
func TestParseStatementCosignVulnDSSE(t *testing.T) {
	root := corpus(t)
	var env struct {
		Payload []byte `json:"payload"`
	}
	if err := json.Unmarshal(readFile(t, root+"/vuln-scan/cosign-vuln/cosign-vuln.dsse.json"),
		&env); err != nil {
		t.Fatal(err)
	}
	st, err := ParseStatement(env.Payload)
	if err != nil {
		t.Fatal(err)
	}
	if st.PredicateType != PredicateVuln {
		t.Errorf("predicate type %s", st.PredicateType)
	}
	d := mustHash(t, "sha256:3c19aa980a9c5709a2c96c2d0779febf6e5e453b92b172ce84cb85fdaf695373")
	if !st.SubjectMatches(d) {
		t.Error("SubjectMatches does not find the subject digest")
	}
	created, err := st.CreatedAt()
	if err != nil || !created.IsZero() {
		t.Errorf("CreatedAt() = %v, %v; want the zero time", created, err)
	}
}

func TestParseStatementRefusals(t *testing.T) {
	good := readFile(t, "testdata/sigstore-conformance.statement.v1.json")
	subject := func(digest map[string]string) []any {
		return []any{map[string]any{"name": "a", "digest": digest}}
	}
	tests := []struct {
		name  string
		input []byte
		want  string
		is    error
	}{
		{"empty", nil, "in-toto statement: empty input", nil},
		{"not JSON", []byte("statement"), "invalid JSON at byte offset 1", nil},
		{"truncated", good[:100], "in-toto statement: invalid JSON at byte offset 100", nil},
		{"unknown type", edit(t, good, "_type", "https://in-toto.io/Statement/v2"),
			`_type "https://in-toto.io/Statement/v2"`, ErrUnsupportedVersion},
		{"no type", edit(t, good, "_type", nil), `_type ""`, ErrUnsupportedVersion},
		{"no subject", edit(t, good, "subject", []any{}), "in-toto statement: no subject", nil},
		{"no digest", edit(t, good, "subject", subject(nil)), "subject[0]: no digest", nil},
		{"short sha256", edit(t, good, "subject", subject(map[string]string{"sha256": "abcd"})),
			"subject[0]: digest has incorrect length", nil},
		{"non-hex sha256", edit(t, good, "subject",
			subject(map[string]string{"sha256": strings.Repeat("z", 64)})),
			"subject[0]: digest is not valid hex-encoded string", nil},
		{"no predicate type", edit(t, good, "predicateType", ""), "missing predicateType", nil},
		{"no predicate", edit(t, good, "predicate", nil), "missing predicate", nil},
		{"string predicate", edit(t, good, "predicate", "x"),
			"predicate is a string, want an object", nil},
		{"subject not a list", edit(t, good, "subject", "a"), "in-toto statement: field subject",
			nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := ParseStatement(tt.input)
			wantError(t, err, tt.want)
			if st != nil {
				t.Error("got a statement along with the error")
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v is not %v", err, tt.is)
			}
		})
	}
}

func TestSubjectMatches(t *testing.T) {
	hex := strings.Repeat("ab", 32)
	st := &ParsedStatement{Subjects: []Subject{
		{Name: "a", Digest: map[string]string{"sha512": strings.Repeat("cd", 64)}},
		{Name: "b", Digest: map[string]string{"sha256": strings.ToUpper(hex)}},
	}}
	tests := []struct {
		h    v1.Hash
		want bool
	}{
		{v1.Hash{Algorithm: "sha256", Hex: hex}, true},
		{v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("cd", 32)}, false},
		{v1.Hash{Algorithm: "sha512", Hex: hex}, false},
		{v1.Hash{Algorithm: "sha256"}, false},
		{v1.Hash{}, false},
	}
	for _, tt := range tests {
		if got := st.SubjectMatches(tt.h); got != tt.want {
			t.Errorf("SubjectMatches(%v) = %v, want %v", tt.h, got, tt.want)
		}
	}
}

func TestCreatedAt(t *testing.T) {
	tests := []struct {
		name, predicateType, predicate string
		want                           time.Time
		err                            string
	}{
		{"other type", "https://slsa.dev/provenance/v1", `{"buildDefinition":{}}`,
			time.Time{}, ""},
		{"versioned SPDX type", PredicateSPDX + "/v2.3", `{"spdxVersion":"SPDX-2.3",
			"SPDXID":"SPDXRef-DOCUMENT","name":"x","dataLicense":"CC0-1.0",
			"documentNamespace":"https://example.com/x","creationInfo":{
			"created":"2024-02-03T04:05:06Z","creators":["Tool: x"]}}`,
			time.Date(2024, 2, 3, 4, 5, 6, 0, time.UTC), ""},
		{"CycloneDX without timestamp", PredicateCycloneDX,
			`{"bomFormat":"CycloneDX","specVersion":"1.5","version":1}`, time.Time{}, ""},
		{"SPDX that is no SBOM", PredicateSPDX, `{"x":1}`, time.Time{}, "not an SBOM"},
		{"broken vuln predicate", PredicateVuln, `{"scanner":{}}`, time.Time{},
			"vuln predicate: missing metadata"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &ParsedStatement{PredicateType: tt.predicateType,
				Predicate: json.RawMessage(tt.predicate)}
			got, err := st.CreatedAt()
			wantError(t, err, tt.err)
			if !got.Equal(tt.want) {
				t.Errorf("CreatedAt() = %v, want %v", got, tt.want)
			}
		})
	}
}
