package attest

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

type sbomWant struct {
	format, version string
	packages        int
	created         string // RFC 3339, "" for none
}

func checkSBOM(t *testing.T, data []byte, want sbomWant) {
	t.Helper()
	s, err := ParseSBOM(data)
	if err != nil {
		t.Fatalf("ParseSBOM: %v", err)
	}
	if s.Format != want.format || s.Version != want.version || s.Packages != want.packages {
		t.Errorf("got %s %s with %d packages, want %s %s with %d",
			s.Format, s.Version, s.Packages, want.format, want.version, want.packages)
	}
	switch {
	case want.created == "" && !s.Created.IsZero():
		t.Errorf("Created = %v, want zero", s.Created)
	case want.created != "" && !s.Created.Equal(mustTime(t, want.created)):
		t.Errorf("Created = %v, want %s", s.Created, want.created)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, data); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(s.Document, compact.Bytes()) {
		t.Error("Document is not the input in compact form")
	}
	wantType := map[string]string{"spdx": PredicateSPDX, "cyclonedx": PredicateCycloneDX}
	if got := s.PredicateType(); got != wantType[want.format] {
		t.Errorf("PredicateType() = %q, want %q", got, wantType[want.format])
	}
}

func TestParseSBOMTestdata(t *testing.T) {
	tests := []struct {
		file string
		want sbomWant
	}{
		{"sample.spdx.json", sbomWant{"spdx", "SPDX-2.3", 16, "2023-11-29T01:44:41Z"}},
		{"trivy.centos-7-spdx.json", sbomWant{"spdx", "SPDX-2.2", 4,
			"2022-09-13T13:27:55.874784Z"}},
		{"trivy.centos-7-cyclonedx.json", sbomWant{"cyclonedx", "1.5", 3,
			"2022-06-14T15:08:48+00:00"}},
		{"trivy.npm-cyclonedx.json", sbomWant{"cyclonedx", "1.7", 13,
			"2021-08-25T12:20:30+00:00"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			checkSBOM(t, readFile(t, "../testdata/sbom/"+tt.file), tt.want)
		})
	}
}

// corpusSBOMs are the expected summaries of the corpus SBOMs; an SBOM
// added to the corpus later must still parse.
var corpusSBOMs = map[string]sbomWant{
	"sbom/cyclonedx-1.2/bom-examples.dropwizard-1.3.15.bom.json": {"cyclonedx", "1.2", 167,
		"2020-08-02T21:27:04Z"},
	"sbom/cyclonedx-1.4/LARGE.bom-examples.juice-shop.npm-bare.bom.1.4.json": {"cyclonedx",
		"1.4", 1115, ""},
	"sbom/cyclonedx-1.4/bom-examples.laravel-7.12.0.bom.1.4.json": {"cyclonedx", "1.4", 62, ""},
	"sbom/cyclonedx-1.5/syft.identify-1.5.json": {"cyclonedx", "1.5", 1,
		"2023-09-29T12:02:02-04:00"},
	"sbom/cyclonedx-1.5/trivy.centos-7-cyclonedx.json": {"cyclonedx", "1.5", 3,
		"2022-06-14T15:08:48+00:00"},
	"sbom/cyclonedx-1.5/witness.syft-1.6.0.cdx.json": {"cyclonedx", "1.5", 15,
		"2024-06-15T15:30:29-05:00"},
	"sbom/cyclonedx-1.6/bom-examples.cbom-protocol.bom.json": {"cyclonedx", "1.6", 8,
		"2024-01-09T12:00:00Z"},
	"sbom/cyclonedx-1.6/trivy.fluentd-multiple-lockfiles.cdx.json": {"cyclonedx", "1.6", 161,
		"2021-08-25T12:20:30+00:00"},
	"sbom/cyclonedx-1.7/trivy.npm-cyclonedx.json": {"cyclonedx", "1.7", 13,
		"2021-08-25T12:20:30+00:00"},
	"sbom/spdx-2.2/spdx-examples.example7-bin.spdx.json": {"spdx", "SPDX-2.2", 1,
		"2020-11-24T01:12:27Z"},
	"sbom/spdx-2.2/spdx-examples.hello-src.spdx.json": {"spdx", "SPDX-2.2", 1,
		"2022-11-04T11:11:52Z"},
	"sbom/spdx-2.2/trivy.centos-7-spdx.json": {"spdx", "SPDX-2.2", 4,
		"2022-09-13T13:27:55.874784Z"},
	"sbom/spdx-2.3/spdx-examples.examplemaven-enriched.spdx.json": {"spdx", "SPDX-2.3", 6,
		"2024-11-18T10:22:12Z"},
	"sbom/spdx-2.3/spdx-examples.k8s-bom.sbom.spdx.json": {"spdx", "SPDX-2.3", 4,
		"2022-11-03T07:10:10Z"},
	"sbom/spdx-2.3/syft-0.76.0.spdx.json": {"spdx", "SPDX-2.3", 16, "2023-11-29T01:44:41Z"},
	"sbom/spdx-2.3/trivy.julia-spdx.json": {"spdx", "SPDX-2.3", 5, "2021-08-25T12:20:30Z"},
	"sbom/spdx-2.3/witness.syft-1.6.0.spdx.json": {"spdx", "SPDX-2.3", 15,
		"2024-06-15T20:27:58Z"},
	// A CycloneDX VEX is a CycloneDX BOM without components.
	"sbom/vex/cyclonedx-vex.cisa-case-2.json": {"cyclonedx", "1.4", 0, "2022-03-03T00:00:00Z"},
}

// corpusMalformedSBOMs are corpus files that claim to be SBOMs but do not
// follow their format, with the error they must give.
var corpusMalformedSBOMs = map[string]string{
	// Upstream's example writes creators as objects, package names as
	// packageName and filesAnalyzed as a string; SPDX 2.2 JSON allows
	// none of that.
	"sbom/spdx-2.2/policy-controller.example.spdx.json": "creationInfo.creators[0] is an object",
}

// isCorpusSBOM reports whether a corpus file must parse as an SBOM.
func isCorpusSBOM(rel string) bool {
	if _, ok := corpusSBOMs[rel]; ok {
		return true
	}
	if _, bad := corpusMalformedSBOMs[rel]; bad {
		return false
	}
	return strings.HasPrefix(rel, "sbom/spdx-") || strings.HasPrefix(rel, "sbom/cyclonedx-")
}

// TestParseSBOMCorpus parses every SBOM of the corpus and checks that
// every other corpus file is refused.
func TestParseSBOMCorpus(t *testing.T) {
	root := corpus(t)
	seen := 0
	for _, rel := range corpusFiles(t, root) {
		t.Run(rel, func(t *testing.T) {
			data := readFile(t, root+"/"+rel)
			if !isCorpusSBOM(rel) {
				_, err := ParseSBOM(data)
				if err == nil {
					t.Fatal("ParseSBOM accepted a file that is not an SBOM")
				}
				if msg, ok := corpusMalformedSBOMs[rel]; ok {
					wantError(t, err, msg)
				}
				return
			}
			seen++
			want, ok := corpusSBOMs[rel]
			if !ok {
				if _, err := ParseSBOM(data); err != nil {
					t.Fatalf("ParseSBOM: %v", err)
				}
				return
			}
			checkSBOM(t, data, want)
		})
	}
	if seen < len(corpusSBOMs) {
		t.Errorf("parsed %d corpus SBOMs, want at least %d", seen, len(corpusSBOMs))
	}
}

func TestParseSBOMRefusals(t *testing.T) {
	spdx := readFile(t, "../testdata/sbom/trivy.centos-7-spdx.json")
	tests := []struct {
		name  string
		input []byte
		want  string
		is    error
	}{
		{"empty", nil, "SBOM: empty input", nil},
		{"blank", []byte(" \n\t"), "SBOM: empty input", nil},
		{"not JSON", []byte("SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\n"),
			"invalid JSON at byte offset 1", nil},
		{"truncated", spdx[:len(spdx)/2], "invalid JSON at byte offset", nil},
		{"trailing data", append(bytes.Clone(spdx), []byte("{}")...),
			"after top-level value", nil},
		{"array", []byte(`[{"spdxVersion":"SPDX-2.3"}]`),
			"top-level JSON value is an array, want an object", nil},
		{"null", []byte(`null`), "top-level JSON value is null", nil},
		{"random JSON", []byte(`{"hello":"world","n":[1,2,3]}`),
			"not an SBOM: neither spdxVersion nor bomFormat found", ErrNotSBOM},
		{"trivy report", readFile(t, "../testdata/scan/critical.trivy.json"),
			"looks like a trivy scan report", ErrNotSBOM},
		{"SARIF log", readFile(t, "../testdata/scan/grype.image.sarif.json"),
			"looks like a sarif scan report", ErrNotSBOM},
		{"SPDX 3.0 JSON-LD", []byte(spdx3), "SPDX 3 (JSON-LD) is not supported",
			ErrUnsupportedVersion},
		{"spdxVersion SPDX-3.0", edit(t, spdx, "spdxVersion", "SPDX-3.0"),
			`unsupported version: spdxVersion "SPDX-3.0"`, ErrUnsupportedVersion},
		{"spdxVersion SPDX-2.0", edit(t, spdx, "spdxVersion", "SPDX-2.0"),
			`spdxVersion "SPDX-2.0"`, ErrUnsupportedVersion},
		{"spdxVersion number", edit(t, spdx, "spdxVersion", 2.3),
			"spdxVersion is a number, want a string", nil},
		{"both formats", edit(t, spdx, "bomFormat", "CycloneDX"),
			"both spdxVersion and bomFormat found", ErrNotSBOM},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ParseSBOM(tt.input)
			wantError(t, err, tt.want)
			if s != nil {
				t.Error("got an SBOM along with the error")
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v is not %v", err, tt.is)
			}
		})
	}
}

// spdx3 is a minimal SPDX 3.0 JSON-LD document.
const spdx3 = `{"@context":"https://spdx.org/rdf/3.0.1/spdx-context.jsonld",
"@graph":[{"type":"CreationInfo","@id":"_:creationinfo","createdBy":["urn:a"],
"specVersion":"3.0.1","created":"2024-03-06T00:00:00Z"}]}`

func TestParseSBOMSPDXValidation(t *testing.T) {
	spdx := readFile(t, "../testdata/sbom/trivy.centos-7-spdx.json")
	tests := []struct {
		name, field string
		value       any // nil deletes the field
		want        string
	}{
		{"no documentNamespace", "documentNamespace", nil,
			"SPDX document: missing documentNamespace"},
		{"empty name", "name", "", "SPDX document: missing name"},
		{"no dataLicense", "dataLicense", nil, "SPDX document: missing dataLicense"},
		{"wrong SPDXID", "SPDXID", "SPDXRef-Package",
			`SPDX document: SPDXID is "SPDXRef-Package", want "SPDXRef-DOCUMENT"`},
		{"no creationInfo", "creationInfo", nil, "SPDX document: missing creationInfo"},
		{"no created", "creationInfo", map[string]any{"creators": []string{"Tool: x"}},
			"missing creationInfo.created"},
		{"bad created", "creationInfo",
			map[string]any{"created": "yesterday", "creators": []string{"Tool: x"}},
			`creationInfo.created "yesterday" is not an RFC 3339 time`},
		{"no creators", "creationInfo", map[string]any{"created": "2024-01-02T03:04:05Z"},
			"missing creationInfo.creators"},
		{"bad creator", "creationInfo",
			map[string]any{"created": "2024-01-02T03:04:05Z", "creators": []string{"me"}},
			`creationInfo.creators[0]: "me" is not of the form`},
		{"packages not a list", "packages", "none", "SPDX document: field packages"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSBOM(edit(t, spdx, tt.field, tt.value))
			wantError(t, err, tt.want)
		})
	}
}

func TestParseSBOMCycloneDXValidation(t *testing.T) {
	cdx := readFile(t, "../testdata/sbom/trivy.centos-7-cyclonedx.json")
	tests := []struct {
		name, field string
		value       any
		want        string
		is          error
	}{
		{"specVersion 2.0", "specVersion", "2.0", `specVersion "2.0"`, ErrUnsupportedVersion},
		{"specVersion 1.1", "specVersion", "1.1", `specVersion "1.1" (want 1.2 or later 1.x)`,
			ErrUnsupportedVersion},
		{"specVersion 1.08", "specVersion", "1.08", `specVersion "1.08"`, ErrUnsupportedVersion},
		{"specVersion number", "specVersion", 1.5, "specVersion is a number, want a string",
			nil},
		{"no specVersion", "specVersion", nil, "CycloneDX document: missing specVersion", nil},
		{"wrong bomFormat", "bomFormat", "SPDX", `bomFormat is "SPDX", want "CycloneDX"`,
			ErrNotSBOM},
		{"bad timestamp", "metadata", map[string]any{"timestamp": "noon"},
			`metadata.timestamp "noon" is not an RFC 3339 time`, nil},
		{"components not a list", "components", map[string]any{"a": 1},
			"CycloneDX document: field components", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSBOM(edit(t, cdx, tt.field, tt.value))
			wantError(t, err, tt.want)
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v is not %v", err, tt.is)
			}
		})
	}
}

// TestParseSBOMNewerCycloneDX reads a 1.x version newer than cyclonedx-go
// knows: minor versions only add fields.
func TestParseSBOMNewerCycloneDX(t *testing.T) {
	doc := edit(t, readFile(t, "../testdata/sbom/trivy.npm-cyclonedx.json"), "specVersion", "1.9")
	checkSBOM(t, doc, sbomWant{"cyclonedx", "1.9", 13, "2021-08-25T12:20:30+00:00"})
}

func TestParseSBOMNestedComponents(t *testing.T) {
	doc := `{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,
	"metadata":{"component":{"type":"container","name":"subject"}},
	"components":[{"type":"library","name":"a","components":[
		{"type":"library","name":"a1"},
		{"type":"library","name":"a2","components":[{"type":"file","name":"a2x"}]}]},
	{"type":"library","name":"b"}]}`
	s, err := ParseSBOM([]byte("\xef\xbb\xbf" + doc))
	if err != nil {
		t.Fatal(err)
	}
	if s.Packages != 5 {
		t.Errorf("Packages = %d, want 5 (nested components count, metadata does not)",
			s.Packages)
	}
	if !s.Created.IsZero() {
		t.Errorf("Created = %v, want zero", s.Created)
	}
}

// edit returns the JSON object doc with field set to value, or deleted
// when value is nil.
func edit(t *testing.T, doc []byte, field string, value any) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatal(err)
	}
	if value == nil {
		delete(m, field)
	} else {
		m[field] = value
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
