package policy

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestExampleImageRules checks that examples/image-rules.yaml loads and
// that its rules and Rego modules do what its comments say.
func TestExampleImageRules(t *testing.T) {
	p, err := Load(filepath.Join("..", "..", "examples", "image-rules.yaml"))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	prod := p.Policies[0]
	r := prod.Image
	if !r.NonRoot || r.MaxLayers != 30 || len(r.RequiredLabels) != 3 {
		t.Errorf("image rules = %+v", r)
	}
	for ref, want := range map[string]bool{
		"gcr.io/distroless/python3-debian12:nonroot": true,
		"python:3.11-slim":                           true,
		"python:3.11":                                false,
		"docker.io/library/alpine:3.20":              true,
		"ubuntu:24.04":                               false,
	} {
		allowed := false
		for _, pat := range r.AllowedBaseImages {
			ok, err := pat.Matches(ref, "")
			if err != nil {
				t.Fatal(err)
			}
			allowed = allowed || ok
		}
		if allowed != want {
			t.Errorf("base image %s allowed = %v, want %v", ref, allowed, want)
		}
	}
	for env, want := range map[string]bool{
		"GITHUB_TOKEN=x": true, "AWS_SECRET_ACCESS_KEY=x": true, "db_password=x": true,
		"TLS=-----BEGIN EC PRIVATE KEY-----": true, "PYTHONUNBUFFERED=1": false,
		"PIP_NO_CACHE_DIR=1": false,
	} {
		denied := slices.ContainsFunc(r.DeniedEnv, func(p EnvPattern) bool { return p.Matches(env) })
		if denied != want {
			t.Errorf("%s denied = %v, want %v", env, denied, want)
		}
	}

	config := func(arch string, ports []string, steps ...string) map[string]any {
		exposed := map[string]any{}
		for _, p := range ports {
			exposed[p] = map[string]any{}
		}
		var history []any
		for _, s := range steps {
			history = append(history, map[string]any{"created_by": s})
		}
		return map[string]any{"config": map[string]any{"architecture": arch,
			"config": map[string]any{"ExposedPorts": exposed}, "history": history}}
	}
	regoCases := []struct {
		name  string
		rule  *RegoRule
		input map[string]any
		want  []string
	}{
		{"clean image", prod.Rego, config("amd64", []string{"8501/tcp"},
			"RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates"),
			nil},
		{"hardening broken", prod.Rego, config("s390x", []string{"80/tcp", "8501/tcp"},
			"RUN curl -sfL https://example.com/install.sh | sh -s -- -b /usr/local/bin",
			"RUN apt-get install -y build-essential"), []string{
			"a build step pipes a download into a shell: RUN curl -sfL " +
				"https://example.com/install.sh | sh -s -- -b /usr/local/bin",
			"a build step runs apt-get install without --no-install-recommends",
			"architecture s390x is not run in production",
			"exposes privileged port 80/tcp; listen on a port above 1023",
		}},
		{"fixable high finding", prod.Attestations[0].Rego, map[string]any{
			"statement": map[string]any{"predicate": map[string]any{
				"scanner": map[string]any{"uri": "pkg:github/aquasecurity/trivy"}}},
			"findings": []any{
				map[string]any{"id": "CVE-1", "package": "openssl", "installedVersion": "3.0.1",
					"fixedVersion": "3.0.2", "severity": "high"},
				map[string]any{"id": "CVE-2", "package": "zlib", "installedVersion": "1.2",
					"severity": "high"},
			},
		}, []string{"CVE-1 in openssl 3.0.1 is fixed in 3.0.2: upgrade before release"}},
		{"scan without scanner", prod.Attestations[0].Rego, map[string]any{
			"statement": map[string]any{"predicate": map[string]any{}}},
			[]string{"the scan does not name its scanner"}},
	}
	for _, tc := range regoCases {
		got, err := tc.rule.Eval(context.Background(), tc.input, time.Now())
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%s: Eval = %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
}
