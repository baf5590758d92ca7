// Command notation-vouchtest is a notation signing plugin for vouch's tests.
// It has the SIGNATURE_GENERATOR.RAW capability: describe-key and
// generate-signature with a PKCS#8 PEM key and a PEM certificate chain read
// from local files.
//
// The files are named by the plugin config keys "key" and "cert"; without
// them the key ID is a path prefix P and the files are P.key and P.crt, the
// names `vouch key generate --type notation` writes.
//
// It is a test fixture: it keeps keys in plain files.
package main

import (
	"context"
	"os"

	"github.com/notaryproject/notation-plugin-framework-go/cli"
)

func main() {
	c, err := cli.New(&vouchTest{})
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		os.Exit(1)
	}
	c.Execute(context.Background(), os.Args)
}
