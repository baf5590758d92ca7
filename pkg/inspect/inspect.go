package inspect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/vouchsec/vouch/pkg/registry"
)

// SchemaVersion is the version of the JSON form of [Result], documented
// in docs/inspect.md.
const SchemaVersion = "1"

// The kinds of [Item].
const (
	// KindCosignSignature is a layer of the sha256-<hex>.sig tag.
	KindCosignSignature = "cosign-signature"
	// KindCosignAttestation is a DSSE envelope signed with cosign: a layer
	// of the sha256-<hex>.att tag, or of a referrer cosign wrote.
	KindCosignAttestation = "cosign-attestation"
	// KindSigstoreBundle is a Sigstore bundle stored as a referrer.
	KindSigstoreBundle = "sigstore-bundle"
	// KindNotationSignature is a Notary Project signature envelope.
	KindNotationSignature = "notation-signature"
	// KindNotationAttestation is an in-toto statement stored as a
	// referrer with notation signatures attached to it.
	KindNotationAttestation = "notation-attestation"
	// KindAttestation is an in-toto statement stored as a referrer with
	// no notation signature on it.
	KindAttestation = "attestation"
	// KindReferrer is any other referrer, such as a plain SBOM.
	KindReferrer = "referrer"
)

// Where an item is stored.
const (
	StorageTag      = "tag"
	StorageReferrer = "referrer"
)

// Options configure [Image]. Client is required.
type Options struct {
	Client *registry.Client
	// Logger receives debug logs; nil discards them.
	Logger *slog.Logger
}

// Result is everything attached to one image.
type Result struct {
	SchemaVersion string `json:"schemaVersion"`
	// Reference is the image as asked for.
	Reference  string `json:"reference"`
	Repository string `json:"repository"`
	// Digest is what Reference resolved to, once.
	Digest    string `json:"digest"`
	MediaType string `json:"mediaType"`
	Size      int64  `json:"size"`
	// Verified is always false: inspect reads claims and checks none.
	Verified bool `json:"verified"`
	// Platforms are the manifests of an index, each with what is attached
	// to it; empty for an image.
	Platforms []*Platform `json:"platforms"`
	// Attached is what is attached to Digest.
	Attached []*Item `json:"attached"`
}

// Platform is one manifest of an index.
type Platform struct {
	Digest    string `json:"digest"`
	MediaType string `json:"mediaType"`
	Size      int64  `json:"size"`
	// Platform is os/architecture[/variant], empty when the index names
	// none.
	Platform string  `json:"platform,omitempty"`
	Attached []*Item `json:"attached"`
}

// Item is one piece of evidence or other artifact attached to a
// manifest. Nothing in it is verified.
type Item struct {
	// Kind is one of the Kind constants.
	Kind string `json:"kind"`
	// Storage is StorageTag or StorageReferrer.
	Storage string `json:"storage"`
	// Tag is the cosign tag a StorageTag item is a layer of.
	Tag string `json:"tag,omitempty"`
	// Digest is the layer's digest for a StorageTag item, the referrer
	// manifest's for a referrer.
	Digest       string `json:"digest"`
	MediaType    string `json:"mediaType"`
	ArtifactType string `json:"artifactType,omitempty"`
	// Size is the size of the content in bytes: the layer, or the sum of
	// a referrer's layers.
	Size int64 `json:"size"`
	// Envelope is the signature format: simplesigning, dsse, jws or cose.
	Envelope      string `json:"envelope,omitempty"`
	PredicateType string `json:"predicateType,omitempty"`
	// Signer is who the item claims to be signed by; nil when it is not a
	// signature.
	Signer *Signer `json:"signer,omitempty"`
	// Created is when the item says it was made, and CreatedFrom where
	// that was read: an annotation, a transparency log entry, a
	// timestamp token or a notation signing time.
	Created     time.Time `json:"created,omitzero"`
	CreatedFrom string    `json:"createdFrom,omitempty"`
	// Timestamped says a notation signature carries an RFC 3161
	// countersignature, whose time is Created when it is the only time.
	Timestamped bool `json:"timestamped,omitempty"`
	// Error says what of the item could not be read.
	Error string `json:"error,omitempty"`
	// Attached are the item's own referrers, such as the notation
	// signatures on an attestation.
	Attached []*Item `json:"attached,omitempty"`
}

// Image resolves ref to a digest once, then lists everything attached to
// it and, for an index, to each of its manifests. Registry failures are
// errors; an item that cannot be read is reported in its Error.
func Image(ctx context.Context, ref string, opts Options) (*Result, error) {
	if opts.Client == nil {
		return nil, errors.New("inspect: no registry client")
	}
	d, _, err := opts.Client.Resolve(ctx, ref)
	if err != nil {
		return nil, err
	}
	in := &inspector{c: opts.Client, ropts: opts.Client.RemoteOptions(ctx), log: opts.logger(),
		seen: map[string]bool{}}
	got, err := remote.Get(d, in.ropts...)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", d, registry.Classify(err))
	}
	res := &Result{
		SchemaVersion: SchemaVersion, Reference: ref, Repository: d.Context().Name(),
		Digest: d.DigestStr(), MediaType: string(got.MediaType), Size: got.Size,
		Platforms: []*Platform{},
	}
	if res.Attached, err = in.attached(ctx, d, 0); err != nil {
		return nil, err
	}
	if got.MediaType.IsIndex() {
		if res.Platforms, err = in.platforms(ctx, d, got.Manifest); err != nil {
			return nil, err
		}
	}
	return res, nil
}

func (o Options) logger() *slog.Logger {
	if o.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.Logger
}

// inspector reads what is attached to the manifests of one image.
type inspector struct {
	c     *registry.Client
	ropts []remote.Option
	log   *slog.Logger
	// seen holds the referrers described so far, so that a cycle of
	// referrers ends.
	seen map[string]bool
}

// platforms lists the manifests of an index with what is attached to
// each.
func (in *inspector) platforms(ctx context.Context, d name.Digest, raw []byte) ([]*Platform, error) {
	var im v1.IndexManifest
	if err := json.Unmarshal(raw, &im); err != nil {
		return nil, fmt.Errorf("decoding index %s: %w", d, err)
	}
	out := make([]*Platform, 0, len(im.Manifests))
	for _, m := range im.Manifests {
		p := &Platform{Digest: m.Digest.String(), MediaType: string(m.MediaType), Size: m.Size}
		if m.Platform != nil {
			p.Platform = m.Platform.String()
		}
		var err error
		if p.Attached, err = in.attached(ctx, d.Context().Digest(m.Digest.String()), 0); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// attached lists the cosign evidence and the referrers of d. depth counts
// the referrers above d.
func (in *inspector) attached(ctx context.Context, d name.Digest, depth int) ([]*Item, error) {
	items := []*Item{}
	if depth == 0 {
		tagged, err := in.cosignItems(ctx, d)
		if err != nil {
			return nil, err
		}
		items = append(items, tagged...)
	}
	refs, err := in.referrerItems(ctx, d, depth)
	if err != nil {
		return nil, err
	}
	return append(items, refs...), nil
}

// readLimited reads at most limit bytes of r, failing beyond.
func readLimited(r io.ReadCloser, limit int64) ([]byte, error) {
	defer r.Close()
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("larger than %d bytes", limit)
	}
	return b, nil
}
