package policy

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var writeExampleCA = flag.Bool("write-example-ca", false,
	"write a new examples/keys/example-notary-ca.pem before loading the examples")

// exampleCA is the notation trust store examples/notation.yaml names: a
// CA certificate whose private key was thrown away when it was made.
var exampleCA = filepath.Join("..", "..", "examples", "keys", "example-notary-ca.pem")

// TestExampleNotationPolicy checks that examples/notation.yaml loads and
// says what its comments say.
func TestExampleNotationPolicy(t *testing.T) {
	if *writeExampleCA {
		ca, _ := newTestCA(t, "Example Notary Root CA")
		if err := os.WriteFile(exampleCA, pemBytes(ca), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p, err := Load(filepath.Join("..", "..", "examples", "notation.yaml"))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	n := p.Signers["notary"].Notation
	if n == nil || len(n.TrustStore) != 1 || !n.TrustStore[0].IsCA {
		t.Fatalf("notary is not a notation signer trusting one CA: %+v", p.Signers["notary"])
	}
	if p.Signers["release"].Cosign == nil || p.Signers["ci"].Cosign == nil {
		t.Errorf("release and ci are not cosign signers")
	}
	for repo, want := range map[string]int{
		"registry.example.com/prod/web":          1,
		"registry.example.com/prod/payments/api": 2,
		"registry.example.com/staging/web":       0,
	} {
		if got := len(p.Match(repo)); got != want {
			t.Errorf("%s matches %d policies, want %d", repo, got, want)
		}
	}
}
