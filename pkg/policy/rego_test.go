package policy

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func compileFile(t *testing.T, name string) *RegoRule {
	t.Helper()
	file := filepath.Join("testdata", "rego", name)
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	r, err := CompileRego(file, src)
	if err != nil {
		t.Fatalf("CompileRego: %v", err)
	}
	return r
}

// TestRegoEval checks that the deny set comes back as messages: denials
// that fire, and none when the input gives no reason.
func TestRegoEval(t *testing.T) {
	r := compileFile(t, "labels.rego")
	config := func(labels map[string]any) map[string]any {
		return map[string]any{"config": map[string]any{"Labels": labels}}
	}
	for _, tc := range []struct {
		name  string
		input map[string]any
		want  []string
	}{
		{"nothing denied", map[string]any{"config": config(map[string]any{"maintainer": "me"})},
			nil},
		{"missing label", map[string]any{"config": config(nil)},
			[]string{"the image names no maintainer label"}},
		{"findings", map[string]any{
			"config": config(map[string]any{"maintainer": "me"}),
			"findings": []any{
				map[string]any{"id": "CVE-1", "package": "openssl", "severity": "critical"},
				map[string]any{"id": "CVE-2", "package": "zlib", "severity": "critical",
					"fixedVersion": "1.3"},
				map[string]any{"id": "CVE-3", "package": "bash", "severity": "high"},
			},
		}, []string{"CVE-1 in openssl has no fix"}},
		{"statement", map[string]any{
			"config":    config(nil),
			"statement": map[string]any{"predicateType": PredicateSPDX, "predicate": map[string]any{}},
		}, []string{"the SPDX document has no name", "the image names no maintainer label"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := r.Eval(context.Background(), tc.input, time.Now())
			if err != nil {
				t.Fatalf("Eval: %v", err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("denied %q, want %q", got, tc.want)
			}
		})
	}
}

// TestRegoEvalMessages checks that a message that is not a string comes
// back as JSON, and that the time rules see is the one given.
func TestRegoEvalMessages(t *testing.T) {
	r := compileFile(t, "nonstring.rego")
	got, err := r.Eval(context.Background(),
		map[string]any{"config": map[string]any{"config": map[string]any{"User": "root"}}},
		time.Now())
	if err != nil || !slices.Equal(got, []string{`{"rule":"user","user":"root"}`}) {
		t.Errorf("Eval = %q, %v", got, err)
	}

	r, err = CompileRego("clock.rego", []byte(`package vouch

deny contains sprintf("now is %d", [time.now_ns()]) if { true }
`))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	got, err = r.Eval(context.Background(), map[string]any{}, at)
	if want := fmt.Sprintf("now is %d", at.UnixNano()); err != nil ||
		!slices.Equal(got, []string{want}) {
		t.Errorf("Eval = %q, %v; want %q", got, err, want)
	}
}

// TestRegoTimeout checks that an evaluation that would run for minutes
// stops when its context ends.
func TestRegoTimeout(t *testing.T) {
	r := compileFile(t, "slow.rego")
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := r.Eval(ctx, map[string]any{}, time.Now())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Eval = %v, want a deadline error", err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("Eval took %s after a 200ms deadline", took)
	}
}

// TestRegoCapabilities checks that the built-ins that reach out are gone
// and the ones policies need are there.
func TestRegoCapabilities(t *testing.T) {
	caps := regoCapabilities()
	names := map[string]bool{}
	for _, b := range caps.Builtins {
		names[b.Name] = true
	}
	for _, n := range []string{"http.send", "net.lookup_ip_addr", "net.cidr_contains",
		"opa.runtime"} {
		if names[n] {
			t.Errorf("capabilities keep %s", n)
		}
	}
	for _, n := range []string{"sprintf", "regex.match", "glob.match", "time.now_ns", "count"} {
		if !names[n] {
			t.Errorf("capabilities lack %s", n)
		}
	}
	if caps.AllowNet == nil || len(caps.AllowNet) != 0 {
		t.Errorf("AllowNet = %#v, want an empty list (no host)", caps.AllowNet)
	}
}

func TestRegoUncompiled(t *testing.T) {
	r := &RegoRule{Path: "x.rego"}
	if _, err := r.Eval(context.Background(), nil, time.Now()); err == nil {
		t.Error("Eval of an uncompiled rule succeeded")
	}
}
