package attest

import (
	"encoding/json"
	"fmt"
	"strings"
)

const (
	grypeKind = "Grype report"
	grypeURI  = "https://github.com/anchore/grype"
)

// grypeReport holds the fields of a Grype JSON report that vouch reads.
type grypeReport struct {
	Matches    []grypeMatch `json:"matches"`
	Descriptor *struct {
		Name      string   `json:"name"`
		Version   string   `json:"version"`
		Timestamp string   `json:"timestamp"`
		DB        *grypeDB `json:"db"`
	} `json:"descriptor"`
}

// grypeDB is the database descriptor: flat up to Grype's schema 5, with
// the details under status from schema 6 on.
type grypeDB struct {
	Built  string `json:"built"`
	Status *struct {
		Built string `json:"built"`
		From  string `json:"from"`
	} `json:"status"`
}

type grypeMatch struct {
	Vulnerability struct {
		ID       string `json:"id"`
		Severity string `json:"severity"`
		Fix      struct {
			Versions []string `json:"versions"`
		} `json:"fix"`
	} `json:"vulnerability"`
	Artifact struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	} `json:"artifact"`
}

// parseGrype reads a Grype JSON report.
func parseGrype(data []byte) (*Scan, error) {
	var r grypeReport
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, jsonError(grypeKind, err)
	}
	if r.Descriptor == nil {
		return nil, fmt.Errorf("%s: descriptor is null, want an object", grypeKind)
	}
	d := r.Descriptor
	s := &Scan{Format: FormatGrype, Scanner: d.Name, ScannerVersion: d.Version,
		ScannerURI: grypeURI}
	if s.Scanner == "" {
		s.Scanner = "grype"
	}
	if d.DB != nil {
		s.DBVersion = d.DB.Built
		if d.DB.Status != nil {
			s.DBVersion, s.DBURI = d.DB.Status.Built, d.DB.Status.From
		}
	}
	var err error
	if s.ScannedAt, err = parseTime("descriptor.timestamp", d.Timestamp); err != nil {
		return nil, fmt.Errorf("%s: %w", grypeKind, err)
	}
	for i, m := range r.Matches {
		f, err := m.finding()
		if err != nil {
			return nil, fmt.Errorf("%s: matches[%d]: %w", grypeKind, i, err)
		}
		s.Findings = append(s.Findings, f)
	}
	return s, nil
}

func (m *grypeMatch) finding() (Finding, error) {
	v := m.Vulnerability
	if v.ID == "" {
		return Finding{}, fmt.Errorf("missing vulnerability.id")
	}
	sev, err := scannerSeverity(v.Severity)
	if err != nil {
		return Finding{}, fmt.Errorf("%s: vulnerability.severity: %w", v.ID, err)
	}
	return Finding{
		ID:               v.ID,
		Package:          m.Artifact.Name,
		InstalledVersion: m.Artifact.Version,
		FixedVersion:     strings.Join(v.Fix.Versions, ", "),
		Severity:         sev,
	}, nil
}
