// Package registry is vouch's only door to OCI registries: it resolves tags to
// digests, checks what a registry holds, copies images and indexes between
// repositories by digest, points tags at digests, and lists OCI 1.1 referrers
// through the referrers API or its tag-schema fallback.
//
// All registry I/O goes through go-containerregistry. A [Client] keeps one
// counting HTTP transport and one ggcr Puller and Pusher, so the /v2/ ping and
// token exchange happen once per repository for the life of the client, also
// for callers (such as cosign) that take its [Client.RemoteOptions].
//
// Failures are sorted for callers that branch on them: [ErrNetwork] for an
// unreachable or failing registry, [ErrNotFound] for a missing manifest or
// repository, [ErrInvalidReference] for a reference that does not parse.
//
// [Serve] and [NewHandler] run a small embedded OCI registry for demos, tests
// and air-gapped work.
//
// [OpenLayout] serves an OCI image layout on disk, read-only, as one
// repository of an in-process registry that [WithLayout] or
// [Layout.Transport] route requests to, without a socket; references to
// layouts, oci:DIR@sha256:<hex> and oci:DIR:TAG, parse with
// [ParseLayoutRef].
package registry
