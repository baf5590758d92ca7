package bundle

import (
	"errors"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// FormatVersion is the bundle format this package writes and reads, as
// the index.json annotation AnnotationVersion records it.
const FormatVersion = "v1"

// The annotations of a bundle's index.json. AnnotationVersion is on the
// index itself; the others are on its descriptors.
const (
	// AnnotationVersion marks an OCI image layout as a vouch bundle.
	AnnotationVersion = "vouch.dev/bundle.version"
	// AnnotationKind says what a descriptor of index.json is: one of the
	// Kind constants.
	AnnotationKind = "vouch.dev/bundle.kind"
	// AnnotationRepository is on the image's descriptor: the repository
	// the image was exported from, which policy scopes match offline.
	AnnotationRepository = "vouch.dev/bundle.repository"
	// AnnotationReference is on the image's descriptor: the reference the
	// image was exported as, tag or digest, as given.
	AnnotationReference = "vouch.dev/bundle.reference"
	// AnnotationLayers is on the image's descriptor: "true" when the
	// image's layer blobs are in the bundle, "false" when only its
	// manifests and configs are.
	AnnotationLayers = "vouch.dev/bundle.layers"
	// AnnotationSubject is on a referrer's descriptor: the digest of the
	// manifest the referrer names as its subject.
	AnnotationSubject = "vouch.dev/bundle.subject"
	// AnnotationURL is on a CRL layer: the distribution point URL the CRL
	// was fetched from.
	AnnotationURL = "vouch.dev/bundle.url"
	// AnnotationCreated is on the image's descriptor: when the bundle was
	// written (RFC 3339).
	AnnotationCreated = "org.opencontainers.image.created"
	// annotationTitle is on the layers of policy and trust artifacts: the
	// file's path, slash-separated, relative to the bundle's policy root.
	annotationTitle = "org.opencontainers.image.title"
	// annotationRefName is the OCI layout's tag annotation.
	annotationRefName = "org.opencontainers.image.ref.name"
)

// Kind says what an entry of a bundle is.
type Kind string

// The kinds of entry a bundle's index.json lists.
const (
	// KindImage is the image: an index or a manifest, with its configs.
	KindImage Kind = "image"
	// KindCosignSignatures is the manifest of the sha256-<hex>.sig tag.
	KindCosignSignatures Kind = "cosign-signatures"
	// KindCosignAttestations is the manifest of the sha256-<hex>.att tag.
	KindCosignAttestations Kind = "cosign-attestations"
	// KindReferrer is an OCI 1.1 referrer of the image or of another
	// referrer: a notation signature, an attestation, its signature.
	KindReferrer Kind = "referrer"
	// KindPolicy is the trust policy file given at export.
	KindPolicy Kind = "policy"
	// KindTrust is the key and certificate files the policy names.
	KindTrust Kind = "trust"
	// KindCRL is the CRLs fetched at export for notation certificates.
	KindCRL Kind = "crl"
	// KindReport is the JSON report of the verification at export.
	KindReport Kind = "report"
)

// The artifact types of the entries vouch makes itself, each an OCI image
// manifest with an empty config whose layers are the files.
const (
	ArtifactTypePolicy = "application/vnd.vouch.bundle.policy.v1"
	ArtifactTypeTrust  = "application/vnd.vouch.bundle.trust.v1"
	ArtifactTypeCRL    = "application/vnd.vouch.bundle.crl.v1"
	ArtifactTypeReport = "application/vnd.vouch.bundle.report.v1"
)

// Media types of the files in vouch's own entries.
const (
	mediaTypeYAML = "application/yaml"
	mediaTypeFile = "application/octet-stream"
	mediaTypeCRL  = "application/pkix-crl"
	mediaTypeJSON = "application/json"
)

// emptyConfig is the OCI empty descriptor's content and media type.
var emptyConfig = []byte("{}")

const emptyConfigType types.MediaType = "application/vnd.oci.empty.v1+json"

// Entry is one descriptor of a bundle's index.json.
type Entry struct {
	Kind       Kind          `json:"kind"`
	Descriptor v1.Descriptor `json:"descriptor"`
}

// Errors callers branch on.
var (
	// ErrNotBundle marks an OCI image layout that is not a vouch bundle
	// (its index.json has no AnnotationVersion), opened without a
	// repository to serve it as.
	ErrNotBundle = errors.New("not a vouch bundle")
	// ErrCorrupt marks a bundle that is damaged or crafted: a blob that
	// does not match its digest, a missing blob, an unsafe tar entry,
	// evidence about another image, a size limit passed.
	ErrCorrupt = errors.New("corrupt or unsafe bundle")
	// ErrOffline marks a request that offline verification refused: the
	// bundle does not answer it and nothing else may.
	ErrOffline = errors.New("offline: no network")
)
