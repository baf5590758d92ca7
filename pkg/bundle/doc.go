// Package bundle writes and reads vouch's offline audit bundles: one OCI
// image layout (a directory, or a tar file of one) that holds an image's
// manifests, every signature and attestation attached to it, the trust
// material its policy names, the CRLs its notation certificates point at,
// and the report of the verification made when it was exported.
//
// [Export] reads an image and its evidence from a registry and writes a
// bundle, atomically. [Open] reads a bundle as hostile input: a tar is
// unpacked only if every entry is a plain file or directory inside the
// layout, within size and count limits, and every blob's digest is checked
// before the bundle is served, read-only and in process, as the
// repository the image came from ([Bundle.Layout]). Verification then
// runs with no network: [NoNetwork] refuses every request the bundle does
// not answer, and [Bundle.RevocationClient] answers CRL requests from the
// CRLs fetched at export. [Import] copies the image and all its evidence
// from a bundle into a registry.
//
// The format is documented in docs/bundle.md.
package bundle
