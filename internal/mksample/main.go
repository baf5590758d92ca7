// Command mksample writes vouch's sample OCI image layout (testdata/image): an
// image index for linux/amd64 and linux/arm64 built from fixed inputs, so that
// every run with the same Go toolchain gives the same digests.
//
// It is run by `go generate ./testdata`. Each platform image has two layers: a
// few files under /etc (users, groups, os-release) and the hello program from
// ./hello, cross-compiled for that platform.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
)

func main() {
	out := flag.String("out", "image", "directory to write the OCI image layout to")
	ref := flag.String("ref", sampleVersion, "tag recorded in index.json as the ref.name annotation")
	flag.Parse()

	digest, err := run(context.Background(), *out, *ref)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mksample:", err)
		os.Exit(1)
	}
	fmt.Printf("wrote %s: %s\n", *out, digest)
}
