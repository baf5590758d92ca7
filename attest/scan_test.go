package attest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

type scanWant struct {
	format, scanner, version string
	findings                 int
	max                      Severity
	scannedAt                string // RFC 3339, "" for none
	first                    *Finding
}

func checkScan(t *testing.T, s *Scan, want scanWant) {
	t.Helper()
	if s.Format != want.format || s.Scanner != want.scanner || s.ScannerVersion != want.version {
		t.Errorf("got %s report by %s %q, want %s by %s %q", s.Format, s.Scanner,
			s.ScannerVersion, want.format, want.scanner, want.version)
	}
	if len(s.Findings) != want.findings || s.MaxSeverity() != want.max {
		t.Errorf("got %d findings, worst %s; want %d, worst %s",
			len(s.Findings), s.MaxSeverity(), want.findings, want.max)
	}
	switch {
	case want.scannedAt == "" && !s.ScannedAt.IsZero():
		t.Errorf("ScannedAt = %v, want zero", s.ScannedAt)
	case want.scannedAt != "" && !s.ScannedAt.Equal(mustTime(t, want.scannedAt)):
		t.Errorf("ScannedAt = %v, want %s", s.ScannedAt, want.scannedAt)
	}
	if want.first != nil && len(s.Findings) > 0 && s.Findings[0] != *want.first {
		t.Errorf("first finding = %+v, want %+v", s.Findings[0], *want.first)
	}
}

func TestParseScanTestdata(t *testing.T) {
	tests := []struct {
		file string
		want scanWant
		last Finding
	}{
		{"critical.trivy.json", scanWant{"trivy", "trivy", "dev", 2, SeverityCritical,
			"2021-08-25T12:20:30.000000005Z",
			&Finding{"CVE-2019-18276", "bash", "5.0-4", "", SeverityLow}},
			Finding{"CVE-2019-18224", "libidn2-0", "2.0.5-1", "2.0.5-1+deb10u1",
				SeverityCritical}},
		{"clean.trivy.json", scanWant{"trivy", "trivy", "dev", 4, SeverityMedium,
			"2021-08-25T12:20:30.000000005Z", nil},
			Finding{"CVE-2019-1551", "libssl1.1", "1.1.1c-r0", "1.1.1d-r2", SeverityMedium}},
		{"grype.presenter.image.json", scanWant{"grype", "grype", "[not provided]", 2,
			SeverityCritical, "",
			&Finding{"CVE-1999-0001", "package-1", "1.1.1", "1.2.1, 2.1.3, 3.4.0", SeverityLow}},
			Finding{"CVE-1999-0002", "package-2", "2.2.2", "", SeverityCritical}},
		// Trivy's SARIF carries the CVSS score in the rule's security-severity.
		{"trivy.alpine-310.sarif.json", scanWant{"sarif", "Trivy", "dev", 4, SeverityMedium,
			"", &Finding{"CVE-2019-1549", "libcrypto1.1", "1.1.1c-r0", "1.1.1d-r0",
				SeverityMedium}},
			Finding{"CVE-2019-1551", "libssl1.1", "1.1.1c-r0", "1.1.1d-r2", SeverityMedium}},
		// Grype's synthetic rules score 8.2 and 8.5 whatever the level says;
		// its rule ids are <vulnerability>-<package>.
		{"grype.image.sarif.json", scanWant{"sarif", "grype", "0.0.0-dev", 2, SeverityHigh, "",
			&Finding{"CVE-1999-0001", "package-1", "1.1.1", "1.2.1,2.1.3,3.4.0",
				SeverityHigh}},
			Finding{"CVE-1999-0002", "package-2", "2.2.2", "", SeverityHigh}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data := readFile(t, "../testdata/scan/"+tt.file)
			s, err := ParseScan(data)
			if err != nil {
				t.Fatal(err)
			}
			checkScan(t, s, tt.want)
			if last := s.Findings[len(s.Findings)-1]; last != tt.last {
				t.Errorf("last finding = %+v, want %+v", last, tt.last)
			}
			var compact bytes.Buffer
			if err := json.Compact(&compact, data); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(s.Raw, compact.Bytes()) {
				t.Error("Raw is not the input in compact form")
			}
		})
	}
}

// corpusScans are the expected summaries of the corpus scan reports; a
// report added to the corpus later must still parse.
var corpusScans = map[string]scanWant{
	"vuln-scan/grype/defectdojo.grype-0.75.0.fix_available.json": {"grype", "grype", "0.75.0",
		1, SeverityHigh, "2024-04-10T11:05:22.636338786Z", nil},
	"vuln-scan/grype/defectdojo.grype-0.94.0.epss.json": {"grype", "grype", "0.94.0", 15,
		SeverityCritical, "2025-06-19T11:43:35.523947199Z", nil},
	// One match has a null severity: it counts as unknown.
	"vuln-scan/grype/defectdojo.grype-0.96.0.issue_9618.json": {"grype", "grype", "0.96.0", 35,
		SeverityCritical, "2024-02-22T19:46:26.372724916+01:00", nil},
	"vuln-scan/grype/grype.presenter.image.json": {"grype", "grype", "[not provided]", 2,
		SeverityCritical, "", nil},
	"vuln-scan/sarif/grype.image.sarif.json": {"sarif", "grype", "0.0.0-dev", 2, SeverityHigh,
		"", nil},
	"vuln-scan/sarif/trivy.alpine-310.sarif.json": {"sarif", "Trivy", "dev", 4, SeverityMedium,
		"", nil},
	"vuln-scan/trivy/defectdojo.trivy-all_statuses.json": {"trivy", "trivy", "", 8,
		SeverityLow, "2024-01-15T08:58:29.82753744Z", nil},
	// Despite its directory this is Trivy's SARIF output.
	"vuln-scan/trivy/ratify.trivy_scan_report.json": {"sarif", "Trivy", "0.35.0", 45,
		SeverityCritical, "", &Finding{"CVE-2021-36159", "apk-tools", "2.10.4-r3",
			"2.10.7-r0", SeverityCritical}},
	"vuln-scan/trivy/trivy.alpine-310.json": {"trivy", "trivy", "dev", 4, SeverityMedium,
		"2021-08-25T12:20:30.000000005Z", nil},
	"vuln-scan/trivy/trivy.debian-buster.json": {"trivy", "trivy", "dev", 2, SeverityCritical,
		"2021-08-25T12:20:30.000000005Z", nil},
	"vuln-scan/trivy/trivy.spring4shell-jre11.json": {"trivy", "trivy", "dev", 1,
		SeverityCritical, "2021-08-25T12:20:30.000000005Z",
		&Finding{"CVE-2022-22965", "org.springframework:spring-beans", "5.3.15", "5.3.18",
			SeverityCritical}},
}

// isCorpusScan reports whether a corpus file must parse as a scan report.
func isCorpusScan(rel string) bool {
	if _, ok := corpusScans[rel]; ok {
		return true
	}
	for _, dir := range []string{"trivy", "grype", "sarif"} {
		if strings.HasPrefix(rel, "vuln-scan/"+dir+"/") {
			return true
		}
	}
	return false
}

// TestParseScanCorpus parses every scan report of the corpus and checks
// that every other corpus file is refused.
func TestParseScanCorpus(t *testing.T) {
	root := corpus(t)
	seen := 0
	for _, rel := range corpusFiles(t, root) {
		t.Run(rel, func(t *testing.T) {
			data := readFile(t, root+"/"+rel)
			s, err := ParseScan(data)
			if !isCorpusScan(rel) {
				if err == nil {
					t.Fatalf("ParseScan accepted a file that is not a scan report (%s)",
						s.Format)
				}
				return
			}
			seen++
			if err != nil {
				t.Fatalf("ParseScan: %v", err)
			}
			if want, ok := corpusScans[rel]; ok {
				checkScan(t, s, want)
			}
		})
	}
	if seen < len(corpusScans) {
		t.Errorf("parsed %d corpus scan reports, want at least %d", seen, len(corpusScans))
	}
}

func TestParseScanRefusals(t *testing.T) {
	trivy := readFile(t, "../testdata/scan/critical.trivy.json")
	sarif := readFile(t, "../testdata/scan/grype.image.sarif.json")
	cut := bytes.LastIndex(trivy[:len(trivy)/2], []byte("\n"))
	tests := []struct {
		name  string
		input []byte
		want  string
		is    error
	}{
		{"empty", []byte{}, "scan report: empty input", nil},
		{"not JSON", []byte("Total: 2 (CRITICAL: 1)"), "invalid JSON at byte offset 1", nil},
		{"truncated", trivy[:cut], fmt.Sprintf("invalid JSON at byte offset %d: "+
			"unexpected end of JSON input", cut), nil},
		{"random JSON", []byte(`{"results":[],"ok":true}`),
			"not a scan report: no Trivy SchemaVersion", ErrNotScanReport},
		{"SPDX SBOM", readFile(t, "../testdata/sbom/sample.spdx.json"),
			"the input looks like an SPDX SBOM", ErrNotScanReport},
		{"CycloneDX SBOM", readFile(t, "../testdata/sbom/trivy.npm-cyclonedx.json"),
			"the input looks like a CycloneDX SBOM", ErrNotScanReport},
		{"vuln predicate", readFile(t, "../testdata/scan/cosign-vuln.predicate.json"),
			"not a scan report", ErrNotScanReport},
		{"Trivy schema 1", edit(t, trivy, "SchemaVersion", 1),
			"Trivy report: unsupported version: SchemaVersion 1 (want 2)", ErrUnsupportedVersion},
		{"Trivy schema string", edit(t, trivy, "SchemaVersion", "2"),
			"SchemaVersion is a string, want the number 2", nil},
		{"legacy Trivy array", []byte(`[{"Target":"alpine:3.10","Vulnerabilities":null}]`),
			"before SchemaVersion 2", ErrUnsupportedVersion},
		{"Trivy bad CreatedAt", edit(t, trivy, "CreatedAt", "today"),
			`CreatedAt "today" is not an RFC 3339 time`, nil},
		{"Trivy Results object", edit(t, trivy, "Results", map[string]any{}),
			"Trivy report: field Results", nil},
		{"Trivy bad severity", bytes.Replace(trivy, []byte(`"CRITICAL"`), []byte(`"SEVERE"`), 1),
			`Results[0].Vulnerabilities[1]: CVE-2019-18224: Severity: unknown severity "SEVERE"`,
			nil},
		{"Trivy vulnerability without id", bytes.Replace(trivy,
			[]byte(`"VulnerabilityID": "CVE-2019-18276"`), []byte(`"VulnerabilityID": ""`), 1),
			"Results[0].Vulnerabilities[0]: missing VulnerabilityID", nil},
		{"SARIF 2.0", edit(t, sarif, "version", "2.0.0"),
			`SARIF log: unsupported version: version "2.0.0" (want 2.1.0)`, ErrUnsupportedVersion},
		{"SARIF no runs", edit(t, sarif, "runs", []any{}), "SARIF log: no runs", nil},
		{"SARIF no driver", edit(t, sarif, "runs", []any{map[string]any{"tool": map[string]any{}}}),
			"SARIF log: runs[0]: missing tool.driver.name", nil},
		{"SARIF bad level", []byte(sarifWith(`{"ruleId":"X","level":"fatal"}`)),
			`runs[0]: results[0]: level "fatal" is not one of`, nil},
		{"SARIF bad score", []byte(sarifWith(
			`{"ruleId":"X","properties":{"security-severity":"high"}}`)),
			`security-severity "high" is not a CVSS score`, nil},
		{"SARIF score out of range", []byte(sarifWith(
			`{"ruleId":"X","properties":{"security-severity":11}}`)),
			"CVSS score 11 is outside 0-10", nil},
		{"SARIF rule index out of range", []byte(sarifWith(`{"ruleId":"X","ruleIndex":3}`)),
			"rule index 3 out of range (the driver has 0 rules)", nil},
		{"Grype descriptor null", []byte(`{"matches":[],"descriptor":null}`),
			"Grype report: descriptor is null", nil},
		{"Grype match without id", []byte(`{"matches":[{"vulnerability":{"severity":"High"}}],
			"descriptor":{"name":"grype"}}`), "Grype report: matches[0]: missing vulnerability.id",
			nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ParseScan(tt.input)
			wantError(t, err, tt.want)
			if s != nil {
				t.Error("got a scan along with the error")
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v is not %v", err, tt.is)
			}
		})
	}
}

func TestParseScanTruncatedOffset(t *testing.T) {
	trivy := readFile(t, "../testdata/scan/critical.trivy.json")
	_, err := ParseScan(trivy[:1000])
	var syn *json.SyntaxError
	if !errors.As(err, &syn) {
		t.Fatalf("error %v does not wrap a *json.SyntaxError", err)
	}
	if syn.Offset != 1000 {
		t.Errorf("Offset = %d, want 1000 (the end of the truncated input)", syn.Offset)
	}
}

// sarifWith is a SARIF log with one run of a rule-less tool and the
// given results.
func sarifWith(results ...string) string {
	return `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"scanner"}},` +
		`"invocations":[{"startTimeUtc":"2024-05-01T10:00:00Z"}],` +
		`"results":[` + strings.Join(results, ",") + `]}]}`
}

func TestParseScanSARIFSeverity(t *testing.T) {
	tests := []struct {
		result string
		want   Severity
	}{
		{`{"ruleId":"A","level":"error"}`, SeverityHigh},
		{`{"ruleId":"A","level":"warning"}`, SeverityMedium},
		{`{"ruleId":"A","level":"note"}`, SeverityLow},
		{`{"ruleId":"A","level":"none"}`, SeverityNone},
		{`{"ruleId":"A"}`, SeverityMedium},
		{`{"ruleId":"A","kind":"informational"}`, SeverityNone},
		{`{"ruleId":"A","level":"note","properties":{"security-severity":"9.0"}}`,
			SeverityCritical},
		{`{"ruleId":"A","properties":{"security-severity":8.9}}`, SeverityHigh},
		{`{"ruleId":"A","properties":{"security-severity":"7"}}`, SeverityHigh},
		{`{"ruleId":"A","properties":{"security-severity":"6.9"}}`, SeverityMedium},
		{`{"ruleId":"A","properties":{"security-severity":"4.0"}}`, SeverityMedium},
		{`{"ruleId":"A","properties":{"security-severity":"0.1"}}`, SeverityLow},
		{`{"ruleId":"A","properties":{"security-severity":"0"}}`, SeverityNone},
	}
	for _, tt := range tests {
		t.Run(tt.result, func(t *testing.T) {
			s, err := ParseScan([]byte(sarifWith(tt.result)))
			if err != nil {
				t.Fatal(err)
			}
			if len(s.Findings) != 1 || s.Findings[0].Severity != tt.want {
				t.Fatalf("findings %+v, want one of severity %s", s.Findings, tt.want)
			}
			if !s.ScannedAt.Equal(mustTime(t, "2024-05-01T10:00:00Z")) {
				t.Errorf("ScannedAt = %v, want the invocation's start time", s.ScannedAt)
			}
		})
	}
}

func TestParseScanSARIFRules(t *testing.T) {
	log := `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"scan","rules":[
	{"id":"CVE-1","defaultConfiguration":{"level":"error"}},
	{"id":"CVE-2","properties":{"security-severity":"9.8",
		"purls":["pkg:deb/debian/libc6@2.31-13%2Bdeb11u5?arch=amd64#x"]}}]}},
	"invocations":[{"startTimeUtc":"2024-05-01T10:00:00Z","endTimeUtc":"2024-05-01T10:05:00Z"}],
	"results":[
	{"ruleId":"CVE-1","message":{"text":"found"}},
	{"ruleIndex":1,"message":{"text":"found"}},
	{"ruleId":"CVE-3","kind":"pass","level":"error"}]}]}`
	s, err := ParseScan([]byte(log))
	if err != nil {
		t.Fatal(err)
	}
	want := []Finding{
		{ID: "CVE-1", Severity: SeverityHigh},
		{ID: "CVE-2", Package: "libc6", InstalledVersion: "2.31-13+deb11u5",
			Severity: SeverityCritical},
	}
	if len(s.Findings) != len(want) {
		t.Fatalf("findings %+v, want %+v", s.Findings, want)
	}
	for i := range want {
		if s.Findings[i] != want[i] {
			t.Errorf("finding %d = %+v, want %+v", i, s.Findings[i], want[i])
		}
	}
	if !s.ScannedAt.Equal(mustTime(t, "2024-05-01T10:05:00Z")) {
		t.Errorf("ScannedAt = %v, want the invocation's end time", s.ScannedAt)
	}
}

func TestSeverity(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Severity
	}{
		{"CRITICAL", SeverityCritical}, {"High", SeverityHigh}, {"medium", SeverityMedium},
		{"Moderate", SeverityMedium}, {"LOW", SeverityLow}, {"Negligible", SeverityLow},
		{"none", SeverityNone}, {"UNKNOWN", SeverityUnknown},
	} {
		got, err := ParseSeverity(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseSeverity(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
		if s, _ := ParseSeverity(got.String()); s != got {
			t.Errorf("ParseSeverity(%q) does not round trip", got)
		}
	}
	if _, err := ParseSeverity("severe"); err == nil {
		t.Error("ParseSeverity accepted \"severe\"")
	}
	order := []Severity{SeverityUnknown, SeverityNone, SeverityLow, SeverityMedium,
		SeverityHigh, SeverityCritical}
	if !slices.IsSorted(order) {
		t.Error("severities are not ordered")
	}
	s := Scan{Findings: []Finding{{Severity: SeverityLow}, {Severity: SeverityHigh},
		{Severity: SeverityUnknown}}}
	if s.MaxSeverity() != SeverityHigh {
		t.Errorf("MaxSeverity() = %s, want high", s.MaxSeverity())
	}
	if (&Scan{}).MaxSeverity() != SeverityNone {
		t.Error("MaxSeverity() of no findings is not none")
	}
	b, err := json.Marshal(map[string]Severity{"s": SeverityHigh})
	if err != nil || string(b) != `{"s":"high"}` {
		t.Errorf("Marshal = %s, %v", b, err)
	}
	if Severity(42).String() != "Severity(42)" {
		t.Errorf("String of an invalid severity = %q", Severity(42).String())
	}
}
