package notation

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content/memory"

	"github.com/vouchsec/vouch/attest"
)

// ArtifactTypeInToto is the artifact type of an attestation manifest, and
// the media type of its one layer, the in-toto statement.
const ArtifactTypeInToto = "application/vnd.in-toto+json"

// AnnotationPredicateType is the attestation manifest annotation that
// declares the statement's predicate type.
const AnnotationPredicateType = "in-toto.io/predicate-type"

// Attested describes an attestation pushed by Attest.
type Attested struct {
	// Manifest is the attestation's artifact manifest, a referrer of the
	// image.
	Manifest ocispec.Descriptor
	// Signature is the notation signature manifest on Manifest.
	Signature ocispec.Descriptor
}

// Attest attaches the in-toto statement to the image d and signs it: the
// statement becomes the one layer of an OCI artifact manifest (artifact
// type application/vnd.in-toto+json, subject d), and that manifest gets a
// notation signature, both stored as [Sign] stores signatures. The
// statement must name d among its subjects.
func Attest(ctx context.Context, d name.Digest, statement []byte, s Signer,
	opts SignOptions) (Attested, error) {
	st, err := attest.ParseStatement(statement)
	if err != nil {
		return Attested{}, err
	}
	h, err := v1.NewHash(d.DigestStr())
	if err != nil {
		return Attested{}, fmt.Errorf("attesting %s: %w", d, err)
	}
	if !st.SubjectMatches(h) {
		return Attested{}, fmt.Errorf("attesting %s: the statement's subjects do not include it", d)
	}
	r, err := opts.Registry.repository(d.Context())
	if err != nil {
		return Attested{}, err
	}
	subject, err := resolve(ctx, r, d)
	if err != nil {
		return Attested{}, err
	}
	if err := probeReferrers(ctx, r, subject); err != nil {
		return Attested{}, err
	}
	// The artifact is built and signed in memory first, and pushed only
	// once it has its signature, so that a signing failure (a plugin, a
	// timestamp authority, an expired certificate) leaves nothing behind.
	mem := memory.New()
	layer, err := oras.PushBytes(ctx, mem, ArtifactTypeInToto, statement)
	if err != nil {
		return Attested{}, fmt.Errorf("packing statement for %s: %w", d, err)
	}
	m, err := oras.PackManifest(ctx, mem, oras.PackManifestVersion1_1, ArtifactTypeInToto,
		oras.PackManifestOptions{
			Subject:             &subject,
			Layers:              []ocispec.Descriptor{layer},
			ManifestAnnotations: map[string]string{AnnotationPredicateType: st.PredicateType},
		})
	if err != nil {
		return Attested{}, fmt.Errorf("packing attestation manifest for %s: %w", d, err)
	}
	sig, err := stageSignature(ctx, r, m, s, &opts)
	if err != nil {
		return Attested{}, err
	}
	if err := oras.CopyGraph(ctx, mem, r, m, oras.DefaultCopyGraphOptions); err != nil {
		return Attested{}, fmt.Errorf("pushing attestation manifest for %s: %w", d, err)
	}
	sigDesc, err := sig.push(ctx, r)
	if err != nil {
		return Attested{}, err
	}
	return Attested{Manifest: m, Signature: sigDesc}, nil
}

// VerifyAttestation checks a's signatures with v and returns the verified
// result of the first that passes. The statement must also name the image
// a is attached to; if not, the error is a *CheckError for
// CheckSubjectDigest. When no signature passes, the error is the first
// signature's.
func VerifyAttestation(ctx context.Context, v *Verifier, a *Attestation) (*Result, error) {
	if len(a.Signatures) == 0 {
		return nil, fmt.Errorf("attestation %s has no notation signature", a.Manifest.Digest)
	}
	var first error
	for _, s := range a.Signatures {
		res, err := v.Verify(ctx, s)
		if err == nil {
			if err := checkStatement(a); err != nil {
				return nil, err
			}
			return res, nil
		}
		if first == nil {
			first = err
		}
	}
	return nil, first
}

func checkStatement(a *Attestation) error {
	st, err := attest.ParseStatement(a.Statement)
	if err != nil {
		return &CheckError{Check: CheckSubjectDigest, Err: err}
	}
	h, err := v1.NewHash(a.Subject.Digest.String())
	if err != nil {
		return &CheckError{Check: CheckSubjectDigest, Err: err}
	}
	if !st.SubjectMatches(h) {
		return &CheckError{Check: CheckSubjectDigest,
			Err: fmt.Errorf("statement subjects do not include %s", h)}
	}
	return nil
}
