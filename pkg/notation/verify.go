package notation

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/notaryproject/notation-core-go/revocation"
	"github.com/notaryproject/notation-core-go/revocation/crl"
	"github.com/notaryproject/notation-core-go/revocation/purpose"
	notationgo "github.com/notaryproject/notation-go"
	"github.com/notaryproject/notation-go/dir"
	"github.com/notaryproject/notation-go/plugin"
	"github.com/notaryproject/notation-go/verifier"
	"github.com/notaryproject/notation-go/verifier/trustpolicy"

	"github.com/vouchsec/vouch/pkg/policy"
)

// RevocationTimeout bounds each OCSP or CRL request when VerifyOptions
// gives no HTTP client.
const RevocationTimeout = 5 * time.Second

// VerifyOptions configure a Verifier. The zero value is ready to use.
type VerifyOptions struct {
	// RevocationHTTPClient fetches CRLs and asks OCSP responders; nil means
	// a client with RevocationTimeout.
	RevocationHTTPClient *http.Client
	// PluginDir holds notation verification plugins, for signatures that
	// name one; empty means such signatures are inconclusive.
	PluginDir string
	// Logger receives notation-go's logs, among them the failures that a
	// level only logs; nil discards them.
	Logger *slog.Logger
}

// Verifier checks notation signatures against one trust policy signer
// with notation-go's verifier. It is safe for concurrent use.
type Verifier struct {
	v      notationgo.Verifier
	level  string
	tsa    bool
	logger *slog.Logger
}

// NewVerifier returns a verifier for signatures on artifacts in scope (see
// [TrustPolicy]) that s trusts.
func NewVerifier(s *policy.NotationSigner, scope string, opts VerifyOptions) (*Verifier, error) {
	doc, err := TrustPolicy(s, scope)
	if err != nil {
		return nil, err
	}
	vo, err := revocationOptions(opts.RevocationHTTPClient)
	if err != nil {
		return nil, err
	}
	var pm plugin.Manager
	if opts.PluginDir != "" {
		pm = plugin.NewCLIManager(dir.NewSysFS(opts.PluginDir))
	}
	v, err := verifier.NewWithOptions(doc, TrustStore(s), pm, vo)
	if err != nil {
		return nil, fmt.Errorf("notation verifier: %w", err)
	}
	return &Verifier{
		v:      v,
		level:  doc.TrustPolicies[0].SignatureVerification.VerificationLevel,
		tsa:    len(s.TSATrustStore) > 0,
		logger: opts.Logger,
	}, nil
}

// revocationOptions sets up notation-core-go's OCSP and CRL checks for
// signing and timestamping chains.
func revocationOptions(client *http.Client) (verifier.VerifierOptions, error) {
	if client == nil {
		client = &http.Client{Timeout: RevocationTimeout}
	}
	fetcher, err := crl.NewHTTPFetcher(client)
	if err != nil {
		return verifier.VerifierOptions{}, fmt.Errorf("revocation: %w", err)
	}
	var vo verifier.VerifierOptions
	for _, p := range []purpose.Purpose{purpose.CodeSigning, purpose.Timestamping} {
		rv, err := revocation.NewWithOptions(revocation.Options{
			OCSPHTTPClient: client, CRLFetcher: fetcher, CertChainPurpose: p,
		})
		if err != nil {
			return verifier.VerifierOptions{}, fmt.Errorf("revocation: %w", err)
		}
		if p == purpose.CodeSigning {
			vo.RevocationCodeSigningValidator = rv
		} else {
			vo.RevocationTimestampingValidator = rv
		}
	}
	return vo, nil
}

// Result is what a signature that passed verification proves.
type Result struct {
	// Level is the verification level applied.
	Level string
	// Skipped is set at level skip, where nothing is checked.
	Skipped bool
	// Logged holds the checks that failed but that the level only logs
	// (permissive: authentic timestamp, expiry, revocation; audit: also
	// authenticity).
	Logged []*CheckError
	// Certificate is the signing certificate; nil when Skipped.
	Certificate *x509.Certificate
	// SignedAt is the signing time a trusted timestamp countersignature
	// proves (its lower bound), or the authentic signing time of a signing
	// authority signature; zero when there is none.
	SignedAt time.Time
	// Outcome is notation-go's full account.
	Outcome *notationgo.VerificationOutcome
}

// Verify checks sig for the artifact it was found on. A signature that
// fails returns a *CheckError naming the check; the Result is nil then.
func (v *Verifier) Verify(ctx context.Context, sig *Signature) (*Result, error) {
	if sig == nil {
		return nil, errors.New("verifying: no signature")
	}
	ref := sig.Repository + "@" + sig.Subject.Digest.String()
	ctx = withLogger(ctx, v.logger)
	o, err := v.v.Verify(ctx, sig.Subject, sig.Envelope, notationgo.VerifierVerifyOptions{
		ArtifactReference:  ref,
		SignatureMediaType: sig.MediaType,
	})
	if o == nil {
		if err == nil {
			err = errors.New("notation-go returned no outcome")
		}
		return nil, &CheckError{Check: CheckTrustPolicy, Err: err}
	}
	if err != nil {
		return nil, checkErrorOf(o, err)
	}
	if err := checkCritical(o); err != nil {
		return nil, err
	}
	return v.result(o), nil
}

// checkCritical refuses a signature that carries a critical extended
// attribute the verifier does not understand, as the Notary Project
// signature specification requires. notation-go checks this only for
// signatures that name a verification plugin, leaving the plugin to
// process them; for every other signature vouch checks it here. A
// signature at level skip was not verified at all and is left alone.
func checkCritical(o *notationgo.VerificationOutcome) error {
	if o.EnvelopeContent == nil || o.VerificationLevel == nil ||
		o.VerificationLevel.Name == trustpolicy.LevelSkip.Name {
		return nil
	}
	attrs := o.EnvelopeContent.SignerInfo.SignedAttributes.ExtendedAttributes
	for _, a := range attrs {
		if k, ok := a.Key.(string); ok && k == verifier.HeaderVerificationPlugin {
			return nil
		}
	}
	for _, a := range attrs {
		if a.Critical {
			return &CheckError{Check: CheckIntegrity,
				Err: fmt.Errorf("unknown critical attribute %v in the signed attributes", a.Key)}
		}
	}
	return nil
}

func (v *Verifier) result(o *notationgo.VerificationOutcome) *Result {
	r := &Result{Level: v.level, Outcome: o}
	if o.VerificationLevel != nil && o.VerificationLevel.Name == trustpolicy.LevelSkip.Name {
		r.Skipped = true
		return r
	}
	for _, vr := range o.VerificationResults {
		if vr.Error != nil && vr.Action == trustpolicy.ActionLog {
			r.Logged = append(r.Logged, &CheckError{Check: string(vr.Type), Err: vr.Error})
		}
	}
	if o.EnvelopeContent != nil && len(o.EnvelopeContent.SignerInfo.CertificateChain) > 0 {
		r.Certificate = o.EnvelopeContent.SignerInfo.CertificateChain[0]
	}
	r.SignedAt = signedAt(o, v.tsa)
	return r
}
