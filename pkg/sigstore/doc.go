// Package sigstore signs files into Sigstore bundles (v0.3, with a key
// and optionally an RFC 3161 timestamp) with sigstore-go's signer, and
// verifies Sigstore bundles (v0.1 to v0.3, message signatures and DSSE
// envelopes) for files and digests, offline, against a trusted_root.json,
// with sigstore-go's verifier.
//
// A bundle is checked either against a certificate identity (issuer
// exact, subject exact or by an anchored regular expression) or against a
// public key. What the bundle carries decides the proofs it must give: a
// bundle with a transparency log entry must have one that verifies against
// a log of the trusted root, a bundle with signed timestamps must have one
// from a trusted timestamp authority, and a certificate needs at least one
// of them to prove when it signed. A verdict is a *VerificationError naming
// the check that failed.
package sigstore
