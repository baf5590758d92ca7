// Package inspect lists everything attached to an image: cosign
// signatures and attestations under the sha256-<hex>.sig and .att tags,
// OCI 1.1 referrers (Sigstore bundles, notation signatures, attestations
// stored as in-toto statements, and anything else such as a plain SBOM),
// the referrers of those referrers, and, for an index, its platform
// manifests with what is attached to each.
//
// Nothing is verified. Each item says who it claims to be signed by and
// when, read from the certificates, envelopes and annotations it carries;
// the cryptography, the trust in those certificates and the policy are
// package verify's business. Signature envelopes are parsed with the
// backends' own libraries (notation-core-go for notation, sigstore-go for
// Sigstore bundles), never by hand.
//
// Registry access goes through a [registry.Client], so images in OCI
// layouts served by it are inspected the same way, and referrers are
// found through the referrers API or the referrers tag schema alike.
package inspect
