// Package cosign is vouch's cosign backend for key pairs: it generates and
// loads cosign key pairs, signs image digests and attaches in-toto
// attestations where cosign and its ecosystem look for them (the
// sha256-<hex>.sig and sha256-<hex>.att tags beside the image), fetches that
// evidence back, and verifies it against a public key.
//
// Everything here goes through cosign's own library (github.com/sigstore/cosign/v2)
// and sigstore's signature package, so what vouch writes is what the cosign CLI
// writes and what the CLI accepts vouch accepts. Signatures are not uploaded to
// a transparency log and verification ignores one.
//
// Registry access is configured by the go-containerregistry remote options
// each call takes (authentication, transport); nil means anonymous access.
// The context bounds every request.
//
// TODO(#4): keyless signing (Fulcio certificates), Rekor entries and RFC 3161
// timestamps; they plug in where signPayload and signStatement build the
// layers and where checkOpts builds the verification options.
package cosign
