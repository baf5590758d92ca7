// Package testreg starts real OCI registries on 127.0.0.1 for tests across
// vouch: go-containerregistry's registry (with or without the OCI 1.1
// referrers API) and the CNCF distribution registry, both in process, and
// pushes the sample image from testdata/image into them.
//
// Every registry is stopped by t.Cleanup. Nothing listens beyond loopback.
package testreg
