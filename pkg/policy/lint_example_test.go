package policy_test

import (
	"fmt"
	"log"
	"time"

	"github.com/vouchsec/vouch/pkg/policy"
)

func ExampleLint() {
	src := []byte(`version: v1
signers:
  ci: {cosign: {key: keys/containers-image.cosign.pub}}
  old: {cosign: {key: keys/containers-image.cosign2.pub}}
policies:
  - name: prod
    scope: ["registry.acme.io/prod/**"]
    signatures: {anyOf: [ci]}
  - name: everything
    scope: ["**"]
    attestations:
      - type: vuln
        signedBy: [ci]
        maxAge: 168h
        rules:
          maxSeverity: high
          waivers: [{id: CVE-2024-0001, until: 2025-01-31, reason: not reachable}]
`)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, f := range policy.Lint("testdata/lint.yaml", src, now) {
		fmt.Printf("%s: %s: %s\n", f.Pos, f.Level, f.Check)
	}
	// Output:
	// testdata/lint.yaml:4:3: warning: signer-unused
	// testdata/lint.yaml:10:13: warning: scope-overlap
	// testdata/lint.yaml:17:21: warning: waiver-expired
}

func ExamplePolicy_Explain() {
	p, err := policy.Load("testdata/valid.yaml")
	if err != nil {
		log.Fatal(err)
	}
	e := p.Explain("registry.acme.io/prod/payments/api")
	for _, pe := range e.Policies {
		fmt.Printf("%s, because %s matches\n", pe.Name, pe.MatchedScope)
	}
	fmt.Println("not applying:", e.NotApplying)
	// Output:
	// production, because registry.acme.io/prod/** matches
	// two-person, because registry.acme.io/prod/payments/* matches
	// not applying: [sbom-only]
}
