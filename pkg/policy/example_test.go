package policy_test

import (
	"errors"
	"fmt"
	"log"
	"path/filepath"

	"github.com/vouchsec/vouch/pkg/policy"
)

func ExampleLoad() {
	p, err := policy.Load("testdata/valid.yaml")
	if err != nil {
		log.Fatal(err)
	}
	for _, ip := range p.Policies {
		fmt.Printf("%s at %s: scope %v\n", ip.Name, ip.Pos, ip.Scope)
		for _, a := range ip.Attestations {
			fmt.Printf("  %s signed by %v, max age %v\n", a.Type, a.SignedBy, a.MaxAge)
		}
	}
	fmt.Println("release-key reads", p.Signers["release-key"].Cosign.KeyFile)
	// Output:
	// production at testdata/valid.yaml:8:5: scope [registry.acme.io/prod/** */staging/app]
	//   sbom signed by [ci], max age 720h0m0s
	//   vuln signed by [ci], max age 168h0m0s
	// two-person at testdata/valid.yaml:23:5: scope [registry.acme.io/prod/payments/*]
	// sbom-only at testdata/valid.yaml:28:5: scope [index.docker.io/library/*]
	//   spdx signed by [ci release-key], max age 0s
	//   cyclonedx signed by [ci], max age 0s
	//   vuln signed by [ci], max age 0s
	// release-key reads testdata/keys/containers-image.cosign.pub
}

func ExampleParse_errors() {
	src := []byte(`version: v1
signers:
  ci: {cosign: {key: testdata/keys/containers-image.cosign.pub}}
policies:
  - name: prod
    scope: ["acme.io/prod/app:1"]
    signatures: {anyOf: [release]}
`)
	// Key paths are relative to the policy file's directory, here ".".
	_, err := policy.Parse("trust.yaml", src)
	fmt.Println(err)
	var perr *policy.Error
	if errors.As(err, &perr) {
		fmt.Println("first problem on line", perr.Pos.Line)
	}
	// Output:
	// trust.yaml:6:13: scope "acme.io/prod/app:1" has a tag; a scope is registry/repository only
	// trust.yaml:7:26: unknown signer "release" in anyOf; signers are: ci
	// first problem on line 6
}

func ExamplePolicy_Match() {
	src := []byte(`version: v1
signers:
  release: {cosign: {key: keys/containers-image.cosign.pub}}
policies:
  - name: all-prod
    scope: ["registry.acme.io/prod/**"]
    signatures: {anyOf: [release]}
  - name: local-staging
    scope: ["*/staging/*"]
    signatures: {anyOf: [release]}
`)
	p, err := policy.Parse("testdata/trust.yaml", src)
	if err != nil {
		log.Fatal(err)
	}
	for _, repo := range []string{
		"registry.acme.io/prod/payments/api",
		"127.0.0.1:5000/staging/app",
		"127.0.0.1:5000/staging/team/app",
	} {
		var names []string
		for _, ip := range p.Match(repo) {
			names = append(names, ip.Name)
		}
		fmt.Println(repo, names)
	}
	// Output:
	// registry.acme.io/prod/payments/api [all-prod]
	// 127.0.0.1:5000/staging/app [local-staging]
	// 127.0.0.1:5000/staging/team/app []
}

func ExampleVulnRules_Waiver() {
	p, err := policy.Load("testdata/valid.yaml")
	if err != nil {
		log.Fatal(err)
	}
	rules := p.Policies[0].Attestations[1].Rules
	fmt.Println("max severity:", rules.MaxSeverity)
	for _, w := range rules.Waivers {
		fmt.Println(w)
	}
	// Output:
	// max severity: high
	// CVE-2024-0001 until 2027-01-31T23:59:59Z (not reachable)
	// GHSA-xxxx-yyyy-zzzz until 2026-06-30T12:00:00+02:00 (fixed upstream, release pending)
}

func ExampleImportNotation() {
	out, err := policy.ImportNotation(
		"testdata/notation/trustpolicies/override_strict_trustpolicy.json",
		"testdata/notation/config-e2e/truststore")
	if err != nil {
		log.Fatal(err)
	}
	// The trust store paths in out are absolute, so the policy loads from
	// anywhere.
	p, err := policy.Parse("imported.yaml", out)
	if err != nil {
		log.Fatal(err)
	}
	n := p.Signers["e2e"].Notation
	fmt.Println("signer e2e:", filepath.Base(n.TrustStorePath), n.Identities, n.Level)
	for _, ip := range p.Policies {
		fmt.Println("policy", ip.Name, ip.Scope, "anyOf", ip.Signatures.AnyOf)
	}
	// Output:
	// signer e2e: e2e [*] audit
	// policy e2e [**] anyOf [e2e]
}
