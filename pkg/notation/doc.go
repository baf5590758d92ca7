// Package notation is vouch's Notary Project backend: it signs image
// digests with notation-go (JWS or COSE envelopes, local keys or notation
// plugins, optional RFC 3161 timestamps), stores the signatures as OCI 1.1
// referrers (or under the referrers tag schema where a registry lacks the
// referrers API), attaches notation-signed in-toto attestations, discovers
// both, and verifies them against a trust policy signer built in memory.
//
// All envelope, certificate and trust-policy processing is notation-go's
// and notation-core-go's; this package only wires them to vouch's policy,
// to registries by digest, and to a verdict that names the failed check.
package notation
