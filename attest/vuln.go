package attest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/sigstore/cosign/v2/pkg/cosign/attestation"
)

const vulnKind = "vuln predicate"

// Predicate renders the scan as cosign's vulnerability predicate, the one
// `cosign attest --type vuln` writes: scanner.result is the raw report,
// scanner uri, version and db come from the report, and both scan times
// are ScannedAt (the zero time when the report states none, as cosign
// writes it). The invocation is left empty: a report does not say how
// the scan was run.
func (s *Scan) Predicate() ([]byte, error) {
	if !json.Valid(s.Raw) {
		return nil, fmt.Errorf("rendering %s: the scan has no valid raw report", vulnKind)
	}
	p := attestation.CosignVulnPredicate{
		Scanner: attestation.Scanner{
			URI:     s.ScannerURI,
			Version: s.ScannerVersion,
			DB:      attestation.DB{URI: s.DBURI, Version: s.DBVersion},
			Result:  s.Raw,
		},
		Metadata: attestation.Metadata{
			ScanStartedOn:  s.ScannedAt.UTC(),
			ScanFinishedOn: s.ScannedAt.UTC(),
		},
	}
	// Keep the report's bytes: json.Marshal would escape <, > and & in it.
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(p); err != nil {
		return nil, fmt.Errorf("rendering %s: %w", vulnKind, err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// vulnPredicate mirrors attestation.CosignVulnPredicate with the result
// kept undecoded; pointers tell missing members from empty ones.
type vulnPredicate struct {
	Invocation *attestation.Invocation `json:"invocation"`
	Scanner    *struct {
		URI     string          `json:"uri"`
		Version string          `json:"version"`
		DB      attestation.DB  `json:"db"`
		Result  json.RawMessage `json:"result"`
	} `json:"scanner"`
	Metadata *struct {
		ScanStartedOn  string `json:"scanStartedOn"`
		ScanFinishedOn string `json:"scanFinishedOn"`
	} `json:"metadata"`
}

// ParseVulnPredicate reads a cosign vulnerability predicate, written by
// vouch or by cosign. When scanner.result is a Trivy, Grype or SARIF report
// it is parsed as ParseScan does and its findings returned; otherwise the
// scan has no Format and no findings, only the scanner fields. ScannedAt
// is metadata.scanFinishedOn, else scanStartedOn, else the report's time.
func ParseVulnPredicate(pred []byte) (*Scan, error) {
	members, compact, err := decodeObject(pred, vulnKind)
	if err != nil {
		return nil, err
	}
	for _, m := range []string{"scanner", "metadata"} {
		if isNull(members[m]) {
			return nil, fmt.Errorf("%s: missing %s", vulnKind, m)
		}
	}
	var p vulnPredicate
	if err := json.Unmarshal(compact, &p); err != nil {
		return nil, jsonError(vulnKind, err)
	}
	s, err := scanFromResult(p.Scanner.Result)
	if err != nil {
		return nil, err
	}
	s.ScannerURI, s.DBURI, s.DBVersion = p.Scanner.URI, p.Scanner.DB.URI, p.Scanner.DB.Version
	if p.Scanner.Version != "" {
		s.ScannerVersion = p.Scanner.Version
	}
	if s.Scanner == "" {
		s.Scanner = p.Scanner.URI
	}
	t, err := p.scanTime()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", vulnKind, err)
	}
	if !t.IsZero() {
		s.ScannedAt = t
	}
	return s, nil
}

// scanFromResult parses scanner.result when it is a report in a known
// format. A result that claims a known format but does not parse is an
// error: its findings must not silently vanish.
func scanFromResult(result json.RawMessage) (*Scan, error) {
	if isNull(result) {
		return &Scan{}, nil
	}
	if jsonKind(result) != "an object" {
		return &Scan{Raw: result}, nil
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(result, &members); err != nil {
		return nil, jsonError(vulnKind+": scanner.result", err)
	}
	if detectScan(members) == "" {
		return &Scan{Raw: result}, nil
	}
	s, err := ParseScan(result)
	if err != nil {
		return nil, fmt.Errorf("%s: scanner.result: %w", vulnKind, err)
	}
	return s, nil
}

// scanTime is metadata.scanFinishedOn, else scanStartedOn. Go's zero
// time, which cosign writes when it knows no time, counts as absent.
func (p *vulnPredicate) scanTime() (time.Time, error) {
	finished, err := parseTime("metadata.scanFinishedOn", p.Metadata.ScanFinishedOn)
	if err != nil {
		return time.Time{}, err
	}
	if !finished.IsZero() {
		return finished, nil
	}
	return parseTime("metadata.scanStartedOn", p.Metadata.ScanStartedOn)
}
