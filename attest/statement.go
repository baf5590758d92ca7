package attest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	attv1 "github.com/in-toto/attestation/go/v1"
	"github.com/in-toto/in-toto-golang/in_toto"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"
)

// Statement types ParseStatement accepts.
const (
	StatementV1  = attv1.StatementTypeUri
	StatementV01 = in_toto.StatementInTotoV01
)

const statementKind = "in-toto statement"

// Statement builds an in-toto Statement v1 with one subject, subjectName
// at digest, and the given predicate, which must be a JSON object. The
// result is compact JSON.
func Statement(subjectName string, digest v1.Hash, predicateType string,
	predicate json.RawMessage) ([]byte, error) {
	if _, err := v1.NewHash(digest.String()); err != nil {
		return nil, fmt.Errorf("building %s: subject digest: %w", statementKind, err)
	}
	var pred structpb.Struct
	if err := protojson.Unmarshal(predicate, &pred); err != nil {
		return nil, fmt.Errorf("building %s: predicate must be a JSON object: %w",
			statementKind, err)
	}
	st := &attv1.Statement{
		Type: attv1.StatementTypeUri,
		Subject: []*attv1.ResourceDescriptor{{
			Name:   subjectName,
			Digest: map[string]string{digest.Algorithm: digest.Hex},
		}},
		PredicateType: predicateType,
		Predicate:     &pred,
	}
	if err := st.Validate(); err != nil {
		return nil, fmt.Errorf("building %s: %w", statementKind, err)
	}
	b, err := protojson.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("building %s: %w", statementKind, err)
	}
	// protojson varies its whitespace on purpose; compact it so that the
	// same input always gives the same bytes.
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		return nil, fmt.Errorf("building %s: %w", statementKind, err)
	}
	return out.Bytes(), nil
}

// Subject is one subject of a statement.
type Subject struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

// ParsedStatement is a decoded in-toto statement, v1 or v0.1.
type ParsedStatement struct {
	// Type is the statement's _type: StatementV1 or StatementV01.
	Type          string
	PredicateType string
	Subjects      []Subject
	// Predicate is the predicate as the statement carries it.
	Predicate json.RawMessage
}

// statementJSON is the wire form shared by statements v0.1 and v1.
type statementJSON struct {
	Type          string          `json:"_type"`
	Subject       []Subject       `json:"subject"`
	PredicateType string          `json:"predicateType"`
	Predicate     json.RawMessage `json:"predicate"`
}

// ParseStatement decodes and checks an in-toto statement: a known _type,
// at least one subject, each with a valid digest, a predicate type and a
// predicate (an object in v1).
func ParseStatement(payload []byte) (*ParsedStatement, error) {
	_, compact, err := decodeObject(payload, statementKind)
	if err != nil {
		return nil, err
	}
	var st statementJSON
	if err := json.Unmarshal(compact, &st); err != nil {
		return nil, jsonError(statementKind, err)
	}
	if err := st.check(); err != nil {
		return nil, fmt.Errorf("%s: %w", statementKind, err)
	}
	return &ParsedStatement{
		Type:          st.Type,
		PredicateType: st.PredicateType,
		Subjects:      st.Subject,
		Predicate:     st.Predicate,
	}, nil
}

func (st *statementJSON) check() error {
	if st.Type != StatementV1 && st.Type != StatementV01 {
		return fmt.Errorf("%w: _type %q (want %s or %s)", ErrUnsupportedVersion, st.Type,
			StatementV1, StatementV01)
	}
	if len(st.Subject) == 0 {
		return fmt.Errorf("no subject")
	}
	for i, s := range st.Subject {
		if len(s.Digest) == 0 {
			return fmt.Errorf("subject[%d]: no digest", i)
		}
		rd := attv1.ResourceDescriptor{Name: s.Name, Digest: s.Digest}
		if err := rd.Validate(); err != nil {
			return fmt.Errorf("subject[%d]: %w", i, err)
		}
	}
	if st.PredicateType == "" {
		return fmt.Errorf("missing predicateType")
	}
	if isNull(st.Predicate) {
		return fmt.Errorf("missing predicate")
	}
	if st.Type == StatementV1 && jsonKind(st.Predicate) != "an object" {
		return fmt.Errorf("predicate is %s, want an object", jsonKind(st.Predicate))
	}
	return nil
}

// SubjectMatches reports whether any subject has the digest d (the same
// algorithm and hex value, hex compared without regard to case).
func (p *ParsedStatement) SubjectMatches(d v1.Hash) bool {
	if d.Algorithm == "" || d.Hex == "" {
		return false
	}
	for _, s := range p.Subjects {
		if hex, ok := s.Digest[d.Algorithm]; ok && strings.EqualFold(hex, d.Hex) {
			return true
		}
	}
	return false
}

// CreatedAt returns the time the predicate content claims: the scan time
// of a vulnerability predicate, the document creation time of an SPDX or
// CycloneDX SBOM. It is zero when the predicate states none or is of
// another type, and an error when the predicate does not parse.
func (p *ParsedStatement) CreatedAt() (time.Time, error) {
	switch {
	case p.PredicateType == PredicateVuln:
		s, err := ParseVulnPredicate(p.Predicate)
		if err != nil {
			return time.Time{}, err
		}
		return s.ScannedAt, nil
	case isSBOMPredicate(p.PredicateType):
		s, err := ParseSBOM(p.Predicate)
		if err != nil {
			return time.Time{}, fmt.Errorf("%s predicate: %w", p.PredicateType, err)
		}
		return s.Created, nil
	}
	return time.Time{}, nil
}

// isSBOMPredicate recognizes the SPDX and CycloneDX predicate types,
// including versioned forms such as https://spdx.dev/Document/v2.3.
func isSBOMPredicate(t string) bool {
	for _, base := range []string{PredicateSPDX, PredicateCycloneDX} {
		if t == base || strings.HasPrefix(t, base+"/") {
			return true
		}
	}
	return false
}
