// Package cosign is vouch's cosign backend: it generates and loads cosign
// key pairs, signs image digests and attaches in-toto attestations where
// cosign and its ecosystem look for them (the sha256-<hex>.sig and
// sha256-<hex>.att tags beside the image, or Sigstore bundles as OCI 1.1
// referrers, as cosign v3 writes them), fetches that evidence back, and
// verifies it against a public key or a keyless (Fulcio certificate)
// identity.
//
// Everything here goes through cosign's own library (github.com/sigstore/cosign/v2),
// sigstore's signature package and sigstore-go, so what vouch writes is what
// the cosign CLI writes and what the CLI accepts vouch accepts. Keyless and
// logged signatures are made by pkg/sigstore as Sigstore bundles and turned
// into cosign's classic layers here (SignatureFromBundle,
// AttestationFromBundle): the certificate, the Rekor bundle and the RFC
// 3161 timestamp go into the layer's annotations. Verification is offline:
// a Rekor entry is proven by its signed entry timestamp, never looked up.
//
// Registry access is configured by the go-containerregistry remote options
// each call takes (authentication, transport); nil means anonymous access.
// The context bounds every request.
package cosign
