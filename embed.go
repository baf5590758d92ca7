// Package vouch holds the files that ship inside the vouch binary: the
// sample image, SBOM and scan reports the demo runs on, and the example
// trust policy. The tool itself lives in cmd/vouch and the packages below.
package vouch

import "embed"

// Samples holds testdata/image (an OCI image layout), the sample SBOM and
// scan reports, and examples/trust-policy.yaml, as in the source tree.
//
//go:embed testdata/image testdata/sbom/sample.spdx.json testdata/scan/critical.trivy.json
//go:embed testdata/scan/clean.trivy.json examples/trust-policy.yaml
var Samples embed.FS
