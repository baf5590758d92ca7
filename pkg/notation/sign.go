package notation

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/notaryproject/notation-core-go/signature/cose"
	"github.com/notaryproject/notation-core-go/signature/jws"
	notationgo "github.com/notaryproject/notation-go"
	"github.com/notaryproject/notation-go/registry"
	"github.com/notaryproject/tspclient-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/registry/remote"
)

// The envelope formats a signature can use.
const (
	EnvelopeJWS  = "jws"
	EnvelopeCOSE = "cose"
)

// ArtifactTypeSignature is the artifact type of a notation signature
// manifest.
const ArtifactTypeSignature = registry.ArtifactTypeNotation

// tsaTimeout bounds one request to a timestamp authority.
const tsaTimeout = 15 * time.Second

// SignOptions configure Sign and Attest. The zero value signs with a JWS
// envelope and no timestamp.
type SignOptions struct {
	Registry RegistryOptions
	// Envelope is EnvelopeJWS or EnvelopeCOSE; empty means JWS.
	Envelope string
	// Expiry, when positive, makes the signature expire that long after
	// signing. It is a whole number of seconds.
	Expiry time.Duration
	// TSAURL is an RFC 3161 timestamp authority; when set the signature
	// gets a timestamp countersignature, and TSARoots must hold the roots
	// its certificate chains to.
	TSAURL   string
	TSARoots []*x509.Certificate
	// PluginConfig is added to a plugin signer's configuration.
	PluginConfig map[string]string
	// UserMetadata are signed annotations on the target descriptor.
	UserMetadata map[string]string
	// Logger receives notation-go's logs; nil discards them.
	Logger *slog.Logger
}

// EnvelopeMediaType returns the media type of an envelope format name.
func EnvelopeMediaType(format string) (string, error) {
	switch format {
	case "", EnvelopeJWS:
		return jws.MediaTypeEnvelope, nil
	case EnvelopeCOSE:
		return cose.MediaTypeEnvelope, nil
	}
	return "", fmt.Errorf("unknown envelope format %q (want %s or %s)", format, EnvelopeJWS, EnvelopeCOSE)
}

func (o *SignOptions) notationOptions(ref string) (notationgo.SignOptions, error) {
	mt, err := EnvelopeMediaType(o.Envelope)
	if err != nil {
		return notationgo.SignOptions{}, err
	}
	so := notationgo.SignOptions{
		SignerSignOptions: notationgo.SignerSignOptions{
			SignatureMediaType: mt,
			ExpiryDuration:     o.Expiry,
			PluginConfig:       o.PluginConfig,
		},
		ArtifactReference: ref,
		UserMetadata:      o.UserMetadata,
	}
	if o.TSAURL == "" {
		return so, nil
	}
	if len(o.TSARoots) == 0 {
		return so, errors.New("timestamping: no TSA root certificate")
	}
	client := &http.Client{Timeout: tsaTimeout, Transport: o.Registry.transport()}
	ts, err := tspclient.NewHTTPTimestamper(client, o.TSAURL)
	if err != nil {
		return so, fmt.Errorf("timestamping: %w", err)
	}
	pool := x509.NewCertPool()
	for _, c := range o.TSARoots {
		pool.AddCert(c)
	}
	so.Timestamper, so.TSARootCAs = ts, pool
	return so, nil
}

// Sign signs the image d with s and pushes the signature beside it as a
// referrer (artifact type application/vnd.cncf.notary.signature). Where
// the registry has no referrers API the signature is indexed under the
// referrers tag schema instead. Sign returns the signature manifest's
// descriptor.
func Sign(ctx context.Context, d name.Digest, s Signer, opts SignOptions) (ocispec.Descriptor, error) {
	r, err := opts.Registry.repository(d.Context())
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	subject, err := resolve(ctx, r, d)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	sig, err := stageSignature(ctx, r, subject, s, &opts)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	if err := probeReferrers(ctx, r, subject); err != nil {
		return ocispec.Descriptor{}, err
	}
	return sig.push(ctx, r)
}

// probeReferrers settles whether r serves the referrers API before a
// referrer is pushed. oras-go otherwise decides from the OCI-Subject
// header of the push response, and some registries that serve the API
// send none, which would make it index the referrer under the tag schema
// as well.
func probeReferrers(ctx context.Context, r *remote.Repository, subject ocispec.Descriptor) error {
	err := r.Referrers(ctx, subject, ArtifactTypeSignature, func([]ocispec.Descriptor) error { return nil })
	if err != nil {
		return fmt.Errorf("listing referrers of %s: %w", subject.Digest, err)
	}
	return nil
}

// stagedSignature is a signature made but not yet pushed.
type stagedSignature struct {
	mediaType   string
	envelope    []byte
	subject     ocispec.Descriptor
	annotations map[string]string
}

// stageSignature signs subject, which need not be in r yet, through
// notation-go's own signing path, and returns the signature without
// pushing it.
func stageSignature(ctx context.Context, r *remote.Repository, subject ocispec.Descriptor,
	s Signer, opts *SignOptions) (*stagedSignature, error) {
	if s == nil {
		return nil, errors.New("signing: no signer")
	}
	ref := r.Reference
	ref.Reference = subject.Digest.String()
	so, err := opts.notationOptions(ref.String())
	if err != nil {
		return nil, err
	}
	st := &stager{subject: subject}
	ctx = withLogger(ctx, opts.Logger)
	if _, err := notationgo.Sign(ctx, s, st, so); err != nil {
		return nil, fmt.Errorf("signing %s: %w", ref, err)
	}
	if st.sig == nil {
		return nil, fmt.Errorf("signing %s: notation-go made no signature", ref)
	}
	return st.sig, nil
}

// push stores the signature beside its subject in r.
func (s *stagedSignature) push(ctx context.Context, r *remote.Repository) (ocispec.Descriptor, error) {
	_, m, err := registry.NewRepository(r).PushSignature(ctx, s.mediaType, s.envelope,
		s.subject, s.annotations)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("pushing signature of %s: %w", s.subject.Digest, err)
	}
	return m, nil
}

// stager is the repository notation-go signs against when the subject is
// not pushed yet: it resolves only the subject and keeps the signature
// instead of pushing it.
type stager struct {
	registry.Repository
	subject ocispec.Descriptor
	sig     *stagedSignature
}

func (s *stager) Resolve(_ context.Context, ref string) (ocispec.Descriptor, error) {
	if ref != s.subject.Digest.String() {
		return ocispec.Descriptor{}, fmt.Errorf("staged signing resolves %s only, not %q", s.subject.Digest, ref)
	}
	return s.subject, nil
}

func (s *stager) PushSignature(_ context.Context, mediaType string, blob []byte,
	subject ocispec.Descriptor, ann map[string]string) (ocispec.Descriptor, ocispec.Descriptor, error) {
	s.sig = &stagedSignature{mediaType: mediaType, envelope: blob, subject: subject, annotations: ann}
	return ocispec.Descriptor{}, ocispec.Descriptor{}, nil
}
