package attest

import (
	"encoding/json"
	"slices"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// addSeeds adds the given testdata files and a few small inputs.
func addSeeds(f *testing.F, files ...string) {
	for _, file := range files {
		f.Add(readFile(f, file))
	}
	for _, s := range []string{"", "{}", "[]", "null", `{"a":`, "\xef\xbb\xbf{}"} {
		f.Add([]byte(s))
	}
}

func FuzzParseSBOM(f *testing.F) {
	addSeeds(f, "../testdata/sbom/trivy.centos-7-spdx.json",
		"../testdata/sbom/trivy.centos-7-cyclonedx.json",
		"../testdata/sbom/policy-controller.example.spdx.json")
	f.Add([]byte(`{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"library",` +
		`"name":"a","components":[{"type":"file","name":"b"}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseSBOM(data)
		if err != nil {
			return
		}
		if s.Format != FormatSPDX && s.Format != FormatCycloneDX {
			t.Fatalf("format %q", s.Format)
		}
		if !json.Valid(s.Document) || s.Packages != len(s.Inventory) {
			t.Fatalf("invalid result: %d packages, document valid %v", s.Packages,
				json.Valid(s.Document))
		}
	})
}

func FuzzParseScan(f *testing.F) {
	addSeeds(f, "../testdata/scan/critical.trivy.json", "../testdata/scan/grype.presenter.image.json",
		"../testdata/scan/grype.image.sarif.json")
	f.Add([]byte(sarifWith(`{"ruleId":"A-p","ruleIndex":0,"message":{"text":"Package: p"}}`)))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseScan(data)
		if err != nil {
			return
		}
		if s.Format == "" || !json.Valid(s.Raw) {
			t.Fatalf("format %q, raw valid %v", s.Format, json.Valid(s.Raw))
		}
		// Whatever parses must survive the trip through a predicate.
		pred, err := s.Predicate()
		if err != nil {
			t.Fatalf("Predicate: %v", err)
		}
		back, err := ParseVulnPredicate(pred)
		if err != nil {
			t.Fatalf("ParseVulnPredicate of our own predicate: %v", err)
		}
		if !slices.Equal(back.Findings, s.Findings) {
			t.Fatalf("findings changed: %+v -> %+v", s.Findings, back.Findings)
		}
	})
}

func FuzzParseVulnPredicate(f *testing.F) {
	addSeeds(f, "../testdata/scan/cosign-vuln.predicate.json")
	f.Add([]byte(`{"scanner":{"result":{"SchemaVersion":2,"Results":[{"Vulnerabilities":[` +
		`{"VulnerabilityID":"CVE-1","Severity":"HIGH"}]}]}},"metadata":{}}`))
	f.Add([]byte(`{"scanner":{"result":{"version":"2.1.0","runs":[]}},"metadata":{}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseVulnPredicate(data)
		if err == nil && s == nil {
			t.Fatal("nil scan without an error")
		}
	})
}

func FuzzParseStatement(f *testing.F) {
	addSeeds(f, "testdata/trivy-cyclonedx-attestation.statement.v0.1.json",
		"testdata/sigstore-conformance.statement.v1.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := ParseStatement(data)
		if err != nil {
			return
		}
		if len(st.Subjects) == 0 || st.PredicateType == "" {
			t.Fatalf("accepted a statement without subject or predicate type: %+v", st)
		}
		_, _ = st.CreatedAt()
		for _, s := range st.Subjects {
			for alg, hex := range s.Digest {
				h := v1.Hash{Algorithm: alg, Hex: hex}
				if alg != "" && hex != "" && !st.SubjectMatches(h) {
					t.Fatalf("SubjectMatches(%v) is false for a subject's own digest", h)
				}
			}
		}
	})
}
