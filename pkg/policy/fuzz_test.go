package policy

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse checks that no input makes Parse panic, that every error is a
// positioned *Error, and that what loads keeps the invariants Load
// promises.
func FuzzParse(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, tc := range errorCases {
		f.Add([]byte(tc.src))
	}
	for _, tc := range notationErrorCases {
		f.Add([]byte(tc.src()))
	}
	file := filepath.Join("testdata", "fuzz.yaml")
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(file, data)
		if err != nil {
			checkFuzzError(t, err, file)
			return
		}
		checkLoaded(t, p)
	})
}

func checkFuzzError(t *testing.T, err error, file string) {
	var perr *Error
	if !errors.As(err, &perr) {
		t.Fatalf("error is not a *Error: %T %v", err, err)
	}
	if perr.Pos.File != file || perr.Pos.Line < 1 || perr.Pos.Column < 1 {
		t.Fatalf("error without a full position: %v", err)
	}
	if perr.Msg == "" {
		t.Fatalf("error without a message at %v", perr.Pos)
	}
}

func checkLoaded(t *testing.T, p *Policy) {
	if p.Version != Version || len(p.Signers) == 0 || len(p.Policies) == 0 {
		t.Fatalf("loaded policy breaks invariants: %+v", p)
	}
	for _, s := range p.Signers {
		checkLoadedSigner(t, s)
	}
	for _, ip := range p.Policies {
		if ip.Name == "" || len(ip.Scope) == 0 || len(ip.globs) != len(ip.Scope) {
			t.Fatalf("policy breaks invariants: %+v", ip)
		}
		requires := ip.Signatures != nil || len(ip.Attestations) > 0
		if requires == ip.SkipVerification {
			t.Fatalf("policy %q: requires something = %v, skips verification = %v",
				ip.Name, requires, ip.SkipVerification)
		}
		var refs []string
		if ip.Signatures != nil {
			refs = append(append(refs, ip.Signatures.AnyOf...), ip.Signatures.AllOf...)
		}
		for _, a := range ip.Attestations {
			if len(a.PredicateTypes()) == 0 || len(a.SignedBy) == 0 || a.MaxAge < 0 {
				t.Fatalf("attestation rule breaks invariants: %+v", a)
			}
			refs = append(refs, a.SignedBy...)
		}
		for _, r := range refs {
			if p.Signers[r] == nil {
				t.Fatalf("policy %q refers to unknown signer %q", ip.Name, r)
			}
		}
	}
}

func checkLoadedSigner(t *testing.T, s *Signer) {
	switch {
	case s.Cosign != nil && s.Notation != nil:
		t.Fatalf("signer %q has two kinds", s.Name)
	case s.Cosign != nil:
		if s.Cosign.PublicKey == nil {
			t.Fatalf("signer %q has no key", s.Name)
		}
	case s.Notation != nil:
		n := s.Notation
		if len(n.TrustStore) == 0 || len(n.Identities) == 0 || n.Level == "" ||
			(n.TSATrustStorePath != "") != (len(n.TSATrustStore) > 0) {
			t.Fatalf("notation signer %q breaks invariants: %+v", s.Name, n)
		}
	default:
		t.Fatalf("signer %q has no kind", s.Name)
	}
}

// FuzzScope checks that scope globs never panic and that a scope without
// glob characters matches only itself.
func FuzzScope(f *testing.F) {
	for _, s := range [][2]string{
		{"registry.acme.io/prod/**", "registry.acme.io/prod/app"},
		{"*/staging/app", "127.0.0.1:5000/staging/app"},
		{"reg/**/x/**/y", "reg/a/x/b/y"},
		{"reg/app-[0-9]", "reg/app-1"},
		{"reg/app", "reg/app"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, scope, repo string) {
		g, err := compileScope(scope)
		if err != nil {
			return
		}
		got := g.match(repo)
		literal := !strings.ContainsAny(scope, `*?[\`) &&
			!strings.HasPrefix(scope, dockerHubAlias+"/") && scope != dockerHubAlias
		if literal && got != (scope == repo) {
			t.Fatalf("literal scope %q matching %q = %v", scope, repo, got)
		}
	})
}
