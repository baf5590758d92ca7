// Package verify is vouch's verification engine: it discovers the evidence
// attached to an image digest (signatures and attestations), checks each
// piece cryptographically against the signers a trust policy names, and
// evaluates the policy's rules over what held up. Image rules and Rego
// rules also read the image's manifest and config blob, by digest, through
// an [ImageReader].
//
// The engine does not know how a backend stores or signs evidence: backends
// implement [Backend] and [Evidence], and the engine only asks each piece of
// evidence whether a given signer vouches for it. The outcome for each image
// is an [ImageResult] listing every requirement with its reason, so a
// refusal always says which check failed and why.
package verify
