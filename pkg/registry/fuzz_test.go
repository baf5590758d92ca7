package registry_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/vouchsec/vouch/pkg/registry"
)

func FuzzParseReference(f *testing.F) {
	for _, s := range []string{
		"127.0.0.1:5000/app:1.0.0",
		"registry.internal:5000/a/b@" + someDigest,
		"Bad/Ref", "", "a:b:c", "host/app@sha256:x",
	} {
		f.Add(s)
	}
	c := registry.New(registry.WithInsecure("registry.internal:5000"))
	f.Fuzz(func(t *testing.T, s string) {
		r, err := c.ParseReference(s)
		if err != nil {
			if !errors.Is(err, registry.ErrInvalidReference) {
				t.Fatalf("ParseReference(%q) error %v is not ErrInvalidReference", s, err)
			}
			return
		}
		if r.Context().RegistryStr() == "" {
			t.Fatalf("ParseReference(%q) = %v without a registry", s, r)
		}
	})
}

// FuzzJournal feeds NewHandler arbitrary manifest journals: it must either
// serve or refuse with an error, never panic.
func FuzzJournal(f *testing.F) {
	f.Add([]byte(`{"method":"PUT","path":"/v2/a/manifests/t",` +
		`"contentType":"application/json","body":"e30="}` + "\n"))
	f.Add([]byte(`{"method":"DELETE","path":"/v2/a/manifests/t"}`))
	f.Add([]byte(`{"method":"PUT","path":"/v2/manifests/"}`))
	f.Add([]byte("{"))
	f.Fuzz(func(t *testing.T, journal []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "manifests.jsonl"), journal, 0o644); err != nil {
			t.Fatal(err)
		}
		h, err := registry.NewHandler(registry.ServeOptions{Dir: dir})
		if (h == nil) == (err == nil) {
			t.Fatalf("NewHandler = %v, %v: want a handler or an error", h, err)
		}
	})
}
