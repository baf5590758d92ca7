package cosign

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/digitorus/timestamp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/cosign/v2/pkg/oci"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
)

// The checks of a keyless verification, beside those of a key-pair one.
const (
	// CheckCertificate: the signature carries no Fulcio certificate.
	CheckCertificate = "certificate"
	// CheckCertificateChain: the certificate does not chain to a Fulcio CA
	// of the trusted root, or was not valid at the signature's proven time.
	CheckCertificateChain = "certificate-chain"
	// CheckIdentity: the certificate's issuer or subject is not the one
	// the signer names, or it lacks a claim the signer pins.
	CheckIdentity = "identity"
	// CheckSCT: the certificate has no embedded SCT from a CT log of the
	// trusted root.
	CheckSCT = "sct"
	// CheckTlog: no Rekor bundle, or its signed entry timestamp does not
	// verify with a log key of the trusted root, or the entry is for
	// another signature.
	CheckTlog = "tlog"
	// CheckTimestamp: no RFC 3161 timestamp, or it does not verify with a
	// timestamp authority of the trusted root.
	CheckTimestamp = "timestamp"
)

// Keyless says which Fulcio certificates a keyless verification trusts.
// Verification is offline: the log entry is proven by the signed entry
// timestamp of the Rekor bundle that cosign stores beside the signature,
// never looked up.
type Keyless struct {
	// TrustedMaterial holds the Fulcio CAs, CT and Rekor log keys and
	// timestamp authorities, as from root.NewTrustedRootFromPath.
	TrustedMaterial root.TrustedMaterial
	// Issuer is the certificate's OIDC issuer, compared exactly.
	Issuer string
	// Subject is the certificate's identity, compared exactly; or else
	// SubjectRegexp must match it. SubjectRegexp is used as given: anchor
	// it (^(?:RE)$) for a whole-identity match.
	Subject       string
	SubjectRegexp string
	// RequireTlog requires a Rekor bundle; without it the bundle is not
	// read and the certificate must be valid now, as cosign does.
	RequireTlog bool
	// RequireTimestamp requires an RFC 3161 timestamp.
	RequireTimestamp bool
	// Claims are Fulcio certificate extensions the certificate must carry
	// with exactly these values, such as SourceRepositoryURI; empty fields
	// are not checked.
	Claims certificate.Extensions
}

// KeylessResult is what a keyless verification proved.
type KeylessResult struct {
	// Subject and Issuer are the certificate's identity and OIDC issuer.
	Subject string
	Issuer  string
	// SignedAt is the time the log or the timestamp authority proves;
	// zero when neither is required.
	SignedAt time.Time
	// Statement is the in-toto statement of an attestation.
	Statement []byte
}

// VerifyKeylessSignature checks one signature from the .sig tag, made with a
// Fulcio certificate, for the image digest d: cosign.VerifyImageSignature
// with the trusted material and identity of k. Each check is first run on
// its own through cosign's and sigstore-go's functions, so that a failure
// is a *CheckError naming it (cosign reports them as bare strings).
func VerifyKeylessSignature(ctx context.Context, sig oci.Signature, d v1.Hash,
	k *Keyless) (*KeylessResult, error) {
	if sig == nil || k == nil || k.TrustedMaterial == nil {
		return nil, errors.New("verifying signature: no signature or no trusted material")
	}
	co := k.checkOpts(simpleClaims)
	res, err := k.precheck(sig, co)
	if err != nil {
		return nil, err
	}
	if _, err := cosign.VerifyImageSignature(ctx, sig, d, co); err != nil {
		return nil, asCheckError(err, CheckSignature)
	}
	return res, nil
}

// VerifyKeylessAttestation is VerifyAttestation for an attestation signed
// with a Fulcio certificate, checked as VerifyKeylessSignature checks a
// signature.
func VerifyKeylessAttestation(ctx context.Context, att oci.Signature, d v1.Hash,
	k *Keyless) (*KeylessResult, error) {
	if att == nil || k == nil || k.TrustedMaterial == nil {
		return nil, errors.New("verifying attestation: no attestation or no trusted material")
	}
	stmt, err := statementOf(att)
	if err != nil {
		return nil, &CheckError{Check: CheckEnvelope, Err: err}
	}
	co := k.checkOpts(subjectClaims)
	res, err := k.precheck(att, co)
	if err != nil {
		return nil, err
	}
	if _, err := cosign.VerifyBlobAttestation(ctx, att, d, co); err != nil {
		return nil, asCheckError(err, CheckDSSESignature)
	}
	res.Statement = stmt
	return res, nil
}

// checkOpts are cosign's options for k: trusted material in place of
// keys, the one identity, offline, SCTs required.
func (k *Keyless) checkOpts(claims claimVerifier) *cosign.CheckOpts {
	return &cosign.CheckOpts{
		TrustedMaterial: k.TrustedMaterial,
		ClaimVerifier:   claims,
		Identities: []cosign.Identity{{Issuer: k.Issuer, Subject: k.Subject,
			SubjectRegExp: k.SubjectRegexp}},
		IgnoreTlog:          !k.RequireTlog,
		Offline:             true,
		UseSignedTimestamps: k.RequireTimestamp,
	}
}

// precheck runs the certificate, log and timestamp checks that cosign
// runs, one by one, naming the first that fails.
func (k *Keyless) precheck(sig oci.Signature, co *cosign.CheckOpts) (*KeylessResult, error) {
	cert, err := sig.Cert()
	if err == nil && cert == nil {
		err = errors.New("no certificate on the signature")
	}
	if err != nil {
		return nil, &CheckError{Check: CheckCertificate, Err: err}
	}
	ce := cosign.CertExtensions{Cert: cert}
	res := &KeylessResult{Subject: firstSAN(cert), Issuer: ce.GetIssuer()}
	if err := cosign.CheckCertificatePolicy(cert, co); err != nil {
		return nil, &CheckError{Check: CheckIdentity, Err: err}
	}
	if err := k.checkClaims(cert); err != nil {
		return nil, err
	}
	// What is required must be there; what is there must verify, required
	// or not, and the certificate must have been valid at every time it
	// proves. With neither, the certificate must be valid now, as cosign
	// has it.
	var proven []time.Time
	rb, err := sig.Bundle()
	if err != nil {
		return nil, &CheckError{Check: CheckTlog, Err: err}
	}
	if k.RequireTlog || rb != nil {
		at, err := k.tlog(sig, co)
		if err != nil {
			return nil, err
		}
		proven = append(proven, at)
	}
	ts, err := sig.RFC3161Timestamp()
	if err != nil {
		return nil, &CheckError{Check: CheckTimestamp, Err: err}
	}
	if k.RequireTimestamp || ts != nil {
		at, err := k.timestamp(sig, co)
		if err != nil {
			return nil, err
		}
		proven = append(proven, at)
	}
	// cosign's own pass, which follows, then uses what was verified here.
	co.IgnoreTlog = !k.RequireTlog && rb == nil
	co.UseSignedTimestamps = k.RequireTimestamp || ts != nil
	if len(proven) == 0 {
		proven = []time.Time{time.Now()}
	} else {
		res.SignedAt = slices.MinFunc(proven, time.Time.Compare)
	}
	for _, at := range proven {
		if err := k.chain(cert, co, at); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// checkClaims compares the certificate's Fulcio extensions with k.Claims,
// with sigstore-go's comparison, and names the first claim that differs.
func (k *Keyless) checkClaims(cert *x509.Certificate) error {
	if k.Claims == (certificate.Extensions{}) {
		return nil
	}
	sum, err := certificate.SummarizeCertificate(cert)
	if err != nil {
		return &CheckError{Check: CheckCertificate, Err: fmt.Errorf("reading extensions: %w", err)}
	}
	if err := certificate.CompareExtensions(k.Claims, sum.Extensions); err != nil {
		return &CheckError{Check: CheckIdentity, Err: claimMismatch(k.Claims, sum.Extensions, err)}
	}
	return nil
}

// claimMismatch says which claim of want got lacks, by the claim's JSON
// name (as a policy writes it), or else returns err.
func claimMismatch(want, got certificate.Extensions, err error) error {
	w, g := reflect.ValueOf(want), reflect.ValueOf(got)
	for i := range w.NumField() {
		name, _, _ := strings.Cut(w.Type().Field(i).Tag.Get("json"), ",")
		ws, gs := w.Field(i).String(), g.Field(i).String()
		if w.Field(i).Kind() == reflect.String && ws != "" && ws != gs {
			if gs == "" {
				return fmt.Errorf("claim %s: want %q, the certificate has none", name, ws)
			}
			return fmt.Errorf("claim %s: want %q, the certificate has %q", name, ws, gs)
		}
	}
	return err
}

// tlog verifies the Rekor bundle offline and returns its integrated time.
func (k *Keyless) tlog(sig oci.Signature, co *cosign.CheckOpts) (time.Time, error) {
	b, err := sig.Bundle()
	if err == nil && b == nil {
		err = errors.New("no Rekor bundle (signed entry timestamp) on the signature, " +
			"and the log is not looked up online")
	}
	if err == nil {
		_, err = cosign.VerifyBundle(sig, co)
	}
	if err != nil {
		return time.Time{}, &CheckError{Check: CheckTlog, Err: err}
	}
	return time.Unix(b.Payload.IntegratedTime, 0), nil
}

// timestamp verifies the RFC 3161 timestamp and returns its time.
func (k *Keyless) timestamp(sig oci.Signature, co *cosign.CheckOpts) (time.Time, error) {
	ts, err := verifyTimestamp(sig, co)
	if err == nil && ts == nil {
		err = errors.New("no RFC 3161 timestamp on the signature")
	}
	if err != nil {
		return time.Time{}, &CheckError{Check: CheckTimestamp, Err: err}
	}
	return ts.Time, nil
}

// verifyTimestamp is cosign.VerifyRFC3161Timestamp, which with trusted
// material indexes the verified timestamps without checking that one
// verified: a timestamp the trusted root's authorities did not sign makes
// it panic (cosign v2.6.5, pkg/cosign/verify.go). The panic is turned back
// into the refusal it stands for.
func verifyTimestamp(sig oci.Signature, co *cosign.CheckOpts) (ts *timestamp.Timestamp, err error) {
	defer func() {
		if recover() != nil {
			ts, err = nil, errors.New("the timestamp does not verify with the trusted root's "+
				"timestamp authorities: none of them signed it, or it is not over this signature")
		}
	}()
	return cosign.VerifyRFC3161Timestamp(sig, co)
}

// chain checks that cert chains to the trusted root (without identities,
// already checked, and SCTs, checked next) and was valid at the time at.
func (k *Keyless) chain(cert *x509.Certificate, co *cosign.CheckOpts, at time.Time) error {
	bare := *co
	bare.Identities, bare.IgnoreSCT = nil, true
	if _, err := cosign.ValidateAndUnpackCertWithIntermediates(cert, &bare, nil); err != nil {
		return &CheckError{Check: CheckCertificateChain, Err: err}
	}
	if err := cosign.CheckExpiry(cert, at); err != nil {
		return &CheckError{Check: CheckCertificateChain, Err: err}
	}
	bare.IgnoreSCT = false
	if _, err := cosign.ValidateAndUnpackCertWithIntermediates(cert, &bare, nil); err != nil {
		return &CheckError{Check: CheckSCT, Err: err}
	}
	return nil
}

// firstSAN returns the certificate's first subject alternative name.
func firstSAN(cert *x509.Certificate) string {
	if sans := cryptoutils.GetSubjectAlternateNames(cert); len(sans) > 0 {
		return sans[0]
	}
	return ""
}
