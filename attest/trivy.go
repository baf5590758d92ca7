package attest

import (
	"encoding/json"
	"fmt"
)

const (
	trivyKind = "Trivy report"
	trivyURI  = "https://github.com/aquasecurity/trivy"
)

// trivyReport holds the fields of a Trivy JSON report (SchemaVersion 2)
// that vouch reads.
type trivyReport struct {
	CreatedAt string `json:"CreatedAt"`
	Trivy     *struct {
		Version string `json:"Version"`
	} `json:"Trivy"`
	Results []struct {
		Target          string      `json:"Target"`
		Vulnerabilities []trivyVuln `json:"Vulnerabilities"`
	} `json:"Results"`
}

type trivyVuln struct {
	VulnerabilityID  string `json:"VulnerabilityID"`
	PkgName          string `json:"PkgName"`
	InstalledVersion string `json:"InstalledVersion"`
	FixedVersion     string `json:"FixedVersion"`
	Severity         string `json:"Severity"`
}

// parseTrivy reads a Trivy JSON report. Only vulnerabilities become
// findings; misconfigurations and secrets are not vulnerability findings.
func parseTrivy(members map[string]json.RawMessage, data []byte) (*Scan, error) {
	raw := members["SchemaVersion"]
	if jsonKind(raw) != "a number" {
		return nil, fmt.Errorf("%s: SchemaVersion is %s, want the number 2", trivyKind,
			jsonKind(raw))
	}
	schema := json.Number(raw)
	if schema != "2" {
		return nil, fmt.Errorf("%s: %w: SchemaVersion %s (want 2)", trivyKind,
			ErrUnsupportedVersion, schema)
	}
	var r trivyReport
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, jsonError(trivyKind, err)
	}
	s := &Scan{Format: FormatTrivy, Scanner: "trivy", ScannerURI: trivyURI}
	if r.Trivy != nil {
		s.ScannerVersion = r.Trivy.Version
	}
	var err error
	if s.ScannedAt, err = parseTime("CreatedAt", r.CreatedAt); err != nil {
		return nil, fmt.Errorf("%s: %w", trivyKind, err)
	}
	for i, res := range r.Results {
		for j, v := range res.Vulnerabilities {
			f, err := v.finding()
			if err != nil {
				return nil, fmt.Errorf("%s: Results[%d].Vulnerabilities[%d]: %w",
					trivyKind, i, j, err)
			}
			s.Findings = append(s.Findings, f)
		}
	}
	return s, nil
}

func (v *trivyVuln) finding() (Finding, error) {
	if v.VulnerabilityID == "" {
		return Finding{}, fmt.Errorf("missing VulnerabilityID")
	}
	sev, err := scannerSeverity(v.Severity)
	if err != nil {
		return Finding{}, fmt.Errorf("%s: Severity: %w", v.VulnerabilityID, err)
	}
	return Finding{
		ID:               v.VulnerabilityID,
		Package:          v.PkgName,
		InstalledVersion: v.InstalledVersion,
		FixedVersion:     v.FixedVersion,
		Severity:         sev,
	}, nil
}
