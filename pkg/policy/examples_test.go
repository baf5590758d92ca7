package policy

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
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

// TestExampleContentRules checks that examples/content-rules.yaml loads
// and that its rules do what its comments say.
func TestExampleContentRules(t *testing.T) {
	p, err := Load(filepath.Join("..", "..", "examples", "content-rules.yaml"))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	prod := p.Policies[0]
	if th := prod.Signatures.Threshold; th == nil || th.Count != 2 || len(th.Of) != 3 ||
		p.Signers[th.Of[2]].Notation == nil {
		t.Errorf("threshold is not 2 of three signers, one of them notation: %+v", th)
	}
	vuln, sbom := prod.Attestations[0].Rules, prod.Attestations[1].SBOM
	if !vuln.FixedOnly || vuln.MaxCount[SeverityHigh] != 5 || vuln.MaxSeverity != SeverityHigh {
		t.Errorf("vuln rules = %+v", vuln)
	}
	if w := vuln.Waiver("CVE-2019-1549", "libcrypto1.1", time.Date(2027, 1, 1, 0, 0, 0, 0,
		time.UTC)); w != nil {
		t.Errorf("the libssl1.1 waiver covers libcrypto1.1")
	}
	if got := prod.Attestations[1].PredicateTypes(); len(got) != 1 || got[0] != PredicateSPDX {
		t.Errorf("format spdx accepts %v", got)
	}
	for _, tc := range []struct {
		name, version string
		want          bool
	}{
		{"log4j-core", "2.14.1", true}, {"log4j-core", "2.17.1", false},
		{"event-stream", "3.3.6", true}, {"event-stream", "3.3.5", false},
		{"colors", "1.4.44-liberty-2", true},
	} {
		denied := false
		for _, dp := range sbom.DeniedPackages {
			ok, err := dp.Matches(tc.name, tc.version)
			if err != nil {
				t.Fatal(err)
			}
			denied = denied || ok
		}
		if denied != tc.want {
			t.Errorf("%s %s denied = %v, want %v", tc.name, tc.version, denied, tc.want)
		}
	}
	for expr, want := range map[string]bool{
		"MIT OR GPL-3.0-only": false, "GPL-3.0-only": true, "AGPL-3.0-only": true,
		"AGPL-1.0-only": false, "SSPL-1.0 AND MIT": true,
	} {
		if got, err := sbom.LicenseDenied(expr); err != nil || got != want {
			t.Errorf("LicenseDenied(%q) = %v, %v; want %v", expr, got, err, want)
		}
	}
}
