package inspect

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/notaryproject/tspclient-go"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
)

// Where [Item.Created] was read from.
const (
	CreatedFromAnnotation      = "annotation org.opencontainers.image.created"
	CreatedFromTransparencyLog = "transparency log entry"
	CreatedFromTimestamp       = "RFC 3161 timestamp"
	CreatedFromSigningTime     = "notation signing time"
)

// annotationCreated is the OCI annotation for when an artifact was made.
const annotationCreated = "org.opencontainers.image.created"

// Signer is who an item claims to be signed by. Nothing in it is
// verified.
type Signer struct {
	// Identity sums up the signer in a line: the certificate's identity
	// (its subject alternative name, else its subject), or "key
	// (unverified)" for a signature made with a bare key, which does not
	// say which key.
	Identity string `json:"identity"`
	// KeyHint is the hint a Sigstore bundle gives for its public key.
	KeyHint     string       `json:"keyHint,omitempty"`
	Certificate *Certificate `json:"certificate,omitempty"`
}

// Certificate describes a signing certificate.
type Certificate struct {
	Subject string `json:"subject"`
	Issuer  string `json:"issuer"`
	// SubjectAlternativeName and OIDCIssuer are a Fulcio certificate's
	// identity and the OpenID Connect issuer that vouched for it.
	SubjectAlternativeName string    `json:"subjectAlternativeName,omitempty"`
	OIDCIssuer             string    `json:"oidcIssuer,omitempty"`
	NotBefore              time.Time `json:"notBefore"`
	NotAfter               time.Time `json:"notAfter"`
	// SHA256 is the SHA-256 of the certificate's DER form, hex.
	SHA256 string `json:"sha256"`
}

// keyIdentity is how a signature made with a bare key is shown.
const keyIdentity = "key (unverified)"

func keySigner(hint string) *Signer {
	return &Signer{Identity: keyIdentity, KeyHint: hint}
}

// certSigner describes the signer of a certificate, reading Fulcio's
// identity extensions where there are any.
func certSigner(cert *x509.Certificate) *Signer {
	sum := sha256.Sum256(cert.Raw)
	c := &Certificate{
		Subject: cert.Subject.String(), Issuer: cert.Issuer.String(),
		NotBefore: cert.NotBefore.UTC(), NotAfter: cert.NotAfter.UTC(),
		SHA256: hex.EncodeToString(sum[:]),
	}
	if s, err := certificate.SummarizeCertificate(cert); err == nil {
		c.SubjectAlternativeName, c.OIDCIssuer = s.SubjectAlternativeName, s.Issuer
	}
	id := c.Subject
	if c.SubjectAlternativeName != "" {
		id = c.SubjectAlternativeName
	}
	if id == "" {
		id = "certificate " + c.SHA256[:16]
	}
	return &Signer{Identity: id, Certificate: c}
}

// annotationCertificate is the layer annotation cosign keeps a signing
// certificate in.
const annotationCertificate = "dev.sigstore.cosign/certificate"

// layerSigner reads the signer of a cosign layer from its annotations.
func layerSigner(ann map[string]string, it *Item) *Signer {
	pemCert, ok := ann[annotationCertificate]
	if !ok || pemCert == "" {
		return keySigner("")
	}
	certs, err := cryptoutils.UnmarshalCertificatesFromPEM([]byte(pemCert))
	if err != nil || len(certs) == 0 {
		it.addError(fmt.Errorf("reading certificate: %w", cmpOrErr(err)))
		return keySigner("")
	}
	return certSigner(certs[0])
}

func cmpOrErr(err error) error {
	if err == nil {
		return errors.New("no certificate in the annotation")
	}
	return err
}

// tokenTime reads the time of an RFC 3161 timestamp token, or of a
// timestamp response holding one, without verifying it.
func tokenTime(der []byte) (time.Time, error) {
	tok, err := tspclient.ParseSignedToken(der)
	if err != nil {
		var resp tspclient.Response
		if rerr := resp.UnmarshalBinary(der); rerr != nil {
			return time.Time{}, err
		}
		if tok, err = resp.SignedToken(); err != nil {
			return time.Time{}, err
		}
	}
	info, err := tok.Info()
	if err != nil {
		return time.Time{}, err
	}
	return info.GenTime.UTC(), nil
}

// dssePredicateType reads the predicate type of the in-toto statement in
// a DSSE envelope, unverified.
func dssePredicateType(envelope []byte) (string, error) {
	var env struct {
		PayloadType string `json:"payloadType"`
		Payload     string `json:"payload"`
	}
	if err := json.Unmarshal(envelope, &env); err != nil {
		return "", fmt.Errorf("decoding DSSE envelope: %w", err)
	}
	payload, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		if payload, err = base64.URLEncoding.DecodeString(env.Payload); err != nil {
			return "", fmt.Errorf("decoding DSSE payload: %w", err)
		}
	}
	return statementPredicateType(payload)
}

// statementPredicateType reads an in-toto statement's predicate type.
func statementPredicateType(statement []byte) (string, error) {
	var st struct {
		PredicateType string `json:"predicateType"`
	}
	if err := json.Unmarshal(statement, &st); err != nil {
		return "", fmt.Errorf("decoding in-toto statement: %w", err)
	}
	if st.PredicateType == "" {
		return "", errors.New("the in-toto statement has no predicateType")
	}
	return st.PredicateType, nil
}

// createdAnnotation reads the org.opencontainers.image.created annotation.
func createdAnnotation(ann map[string]string) (time.Time, bool) {
	s, ok := ann[annotationCreated]
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}

func hashOf(s string) (v1.Hash, error) { return v1.NewHash(s) }
