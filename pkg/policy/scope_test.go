package policy

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestScopeMatch(t *testing.T) {
	for _, tc := range []struct {
		scope string
		repo  string
		want  bool
	}{
		// ** crosses segments, zero or more of them.
		{"registry.acme.io/prod/**", "registry.acme.io/prod/app", true},
		{"registry.acme.io/prod/**", "registry.acme.io/prod/team/app", true},
		{"registry.acme.io/prod/**", "registry.acme.io/prod", true},
		{"registry.acme.io/prod/**", "registry.acme.io/production/app", false},
		{"registry.acme.io/prod/**", "registry.acme.io/staging/prod/app", false},
		{"registry.acme.io/**/app", "registry.acme.io/app", true},
		{"registry.acme.io/**/app", "registry.acme.io/a/b/c/app", true},
		{"registry.acme.io/**/app", "registry.acme.io/a/b/c/app2", false},
		{"**", "index.docker.io/library/alpine", true},
		{"**/app", "127.0.0.1:5000/staging/app", true},
		{"registry.acme.io/**/x/**/y", "registry.acme.io/x/q/y", true},
		{"registry.acme.io/**/x/**/y", "registry.acme.io/q/y", false},
		// * and ? stay within one segment.
		{"*/staging/app", "127.0.0.1:5000/staging/app", true},
		{"*/staging/app", "localhost:5000/staging/app", true},
		{"*/staging/app", "a/b/staging/app", false},
		{"registry.acme.io/*", "registry.acme.io/team/app", false},
		{"registry.acme.io/*", "registry.acme.io/app", true},
		{"registry.acme.io/app-?", "registry.acme.io/app-1", true},
		{"registry.acme.io/app-?", "registry.acme.io/app-12", false},
		{"registry.acme.io/app?x", "registry.acme.io/app/x", false},
		{"registry.acme.io/app-[0-9]", "registry.acme.io/app-7", true},
		{"registry.acme.io/app-[0-9]", "registry.acme.io/app-x", false},
		{"127.0.0.1:*/staging/app", "127.0.0.1:5000/staging/app", true},
		// The whole name must match.
		{"*/acme/app", "x/acme/app-evil", false},
		{"*/acme/app", "x/acme/app/evil", false},
		{"*/acme/app", "evil/x/acme/app", false},
		{"registry.acme.io/prod", "registry.acme.io/prod/app", false},
		{"registry.acme.io/prod/app", "registry.acme.io/prod/app", true},
		{"registry.acme.io/prod/app", "REGISTRY.acme.io/prod/app", false},
		{"registry.acme.io/prod/app", "", false},
		// docker.io is what go-containerregistry prints as index.docker.io.
		{"docker.io/library/*", "index.docker.io/library/alpine", true},
		{"index.docker.io/library/*", "index.docker.io/library/alpine", true},
		{"docker.io/library/*", "docker.io/library/alpine", false},
	} {
		g, err := compileScope(tc.scope)
		if err != nil {
			t.Errorf("compileScope(%q): %v", tc.scope, err)
			continue
		}
		if got := g.match(tc.repo); got != tc.want {
			t.Errorf("scope %q matching %q = %v, want %v", tc.scope, tc.repo, got, tc.want)
		}
	}
}

func TestScopeErrors(t *testing.T) {
	for _, tc := range []struct {
		scope string
		msg   string
	}{
		{"", "scope is empty"},
		{"reg/app:latest", "has a tag"},
		{"reg:5000/app:v1", "has a tag"},
		{"reg/*:*", "has a tag"},
		{"reg:5000", "has a tag"},
		{"reg/app@sha256:abc", "names a digest"},
		{"reg/app[", "not a valid glob"},
		{"reg/[a-]", "not a valid glob"},
		{`reg/app\`, "not a valid glob"},
		{"reg/a**", "** must be a whole path segment"},
		{"reg/***", "** must be a whole path segment"},
		{"/reg/app", "empty path segment"},
		{"reg/app/", "empty path segment"},
		{"reg//app", "empty path segment"},
	} {
		_, err := compileScope(tc.scope)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("compileScope(%q) = %v, want an error with %q", tc.scope, err, tc.msg)
		}
	}
}

func TestPolicyMatch(t *testing.T) {
	p, err := Load("testdata/valid.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		repo string
		want []string
	}{
		{"registry.acme.io/prod/payments/api", []string{"production", "two-person"}},
		{"registry.acme.io/prod/web", []string{"production"}},
		{"127.0.0.1:5000/staging/app", []string{"production"}},
		{"index.docker.io/library/alpine", []string{"sbom-only"}},
		{"registry.acme.io/dev/web", nil},
	} {
		var got []string
		for _, ip := range p.Match(tc.repo) {
			got = append(got, ip.Name)
		}
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("Match(%q) = %v, want %v", tc.repo, got, tc.want)
		}
	}
}

// TestMatchHandBuilt checks that an ImagePolicy built in code rather than
// loaded still matches on its Scope.
func TestMatchHandBuilt(t *testing.T) {
	p := &Policy{Policies: []*ImagePolicy{
		{Name: "a", Scope: []string{"reg/team/*", "reg/[bad"}},
		{Name: "b", Scope: []string{"other/**"}},
	}}
	got := p.Match("reg/team/app")
	if len(got) != 1 || got[0].Name != "a" {
		t.Errorf("Match = %v, want policy a only", got)
	}
	if got := p.Match("reg/[bad"); len(got) != 0 {
		t.Errorf("an invalid scope matched: %v", got)
	}
}

// TestExamples loads the example policies shipped in examples/. The demo's
// trust-policy.yaml is left out: its keys are made when the demo runs.
func TestExamples(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "examples", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	rewritten, err := filepath.Glob(filepath.Join("..", "..", "examples", "from-*", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, rewritten...)
	var loaded int
	for _, f := range files {
		if filepath.Base(f) == "trust-policy.yaml" {
			continue
		}
		if _, err := Load(f); err != nil {
			t.Errorf("Load(%s): %v", f, err)
		}
		loaded++
	}
	if loaded < 2 {
		t.Errorf("loaded %d example policies, want at least 2", loaded)
	}
}
