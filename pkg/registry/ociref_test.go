package registry_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/vouchsec/vouch/pkg/registry"
)

func TestParseLayoutRef(t *testing.T) {
	dir := t.TempDir()
	colon := filepath.Join(dir, "a:b") // a directory whose name has a ':'
	if err := os.Mkdir(colon, 0o755); err != nil {
		t.Fatal(err)
	}
	h := mustHash(t, someDigest)
	tests := []struct {
		in   string
		want registry.LayoutRef
	}{
		{"oci:" + dir + ":v1", registry.LayoutRef{Dir: dir, Tag: "v1"}},
		{"oci:" + dir + ":sha256-" + h.Hex + ".sig",
			registry.LayoutRef{Dir: dir, Tag: "sha256-" + h.Hex + ".sig"}},
		{"oci:" + dir + "@" + someDigest, registry.LayoutRef{Dir: dir, Digest: h}},
		{"oci:" + colon + ":v1", registry.LayoutRef{Dir: colon, Tag: "v1"}},
		{"oci:" + colon + "@" + someDigest, registry.LayoutRef{Dir: colon, Digest: h}},
		{"oci:.:latest", registry.LayoutRef{Dir: ".", Tag: "latest"}},
	}
	for _, tt := range tests {
		got, ok, err := registry.ParseLayoutRef(tt.in)
		if err != nil || !ok || got != tt.want {
			t.Errorf("ParseLayoutRef(%q) = %+v, %v, %v; want %+v", tt.in, got, ok, err, tt.want)
			continue
		}
		if got.String() != tt.in {
			t.Errorf("ParseLayoutRef(%q).String() = %q", tt.in, got.String())
		}
	}
}

func TestParseLayoutRefNotLayout(t *testing.T) {
	for _, in := range []string{
		"", "localhost:5000/app:v1", "registry.acme.io/oci:v1", "OCI:dir:v1", "oc:dir",
	} {
		got, ok, err := registry.ParseLayoutRef(in)
		if ok || err != nil || got != (registry.LayoutRef{}) {
			t.Errorf("ParseLayoutRef(%q) = %+v, %v, %v; want not a layout reference", in, got, ok, err)
		}
	}
}

func TestParseLayoutRefErrors(t *testing.T) {
	dir := t.TempDir()
	both := filepath.Join(dir, "c")
	for _, d := range []string{both, both + ":v1"} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing")
	hex := strings.TrimPrefix(someDigest, "sha256:")
	tests := []struct {
		name, in, want string
	}{
		{"empty", "oci:", "names no directory"},
		{"no tag or digest", "oci:" + dir, "add @sha256:<hex> or :TAG"},
		{"missing dir with tag", "oci:" + missing + ":v1", missing + " is not a directory"},
		{"missing dir with digest", "oci:" + missing + "@" + someDigest, missing + " is not a directory"},
		{"file with tag", "oci:" + file + ":v1", file + " is not a directory"},
		{"missing dir alone", "oci:" + missing, "no valid :TAG"},
		{"bad tag", "oci:" + dir + ":-v1", "no valid :TAG"},
		{"tag too long", "oci:" + dir + ":" + strings.Repeat("a", 129), "no valid :TAG"},
		{"short digest", "oci:" + dir + "@sha256:abc", "invalid digest"},
		{"upper-case digest", "oci:" + dir + "@sha256:" + strings.ToUpper(hex), "invalid digest"},
		{"sha512", "oci:" + dir + "@sha512:" + hex + hex, "only sha256"},
		{"unknown algorithm", "oci:" + dir + "@md5:" + hex, "only sha256"},
		{"digest without dir", "oci:@" + someDigest, "names no directory"},
		{"tag and digest", "oci:" + dir + ":v1@" + someDigest, "not both"},
		{"ambiguous", "oci:" + both + ":v1", "both"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok, err := registry.ParseLayoutRef(tt.in)
			if !ok || err == nil {
				t.Fatalf("ParseLayoutRef(%q) = %+v, %v, %v; want an error", tt.in, got, ok, err)
			}
			if !errors.Is(err, registry.ErrInvalidReference) {
				t.Errorf("error %v is not ErrInvalidReference", err)
			}
			if msg := err.Error(); !strings.Contains(msg, tt.want) || !strings.Contains(msg, tt.in) {
				t.Errorf("error %q does not quote %q and say %q", msg, tt.in, tt.want)
			}
		})
	}
}

func FuzzParseLayoutRef(f *testing.F) {
	for _, s := range []string{
		"oci:.:v1", "oci:.@" + someDigest, "oci:", "oci:.", "oci:a:b:c",
		"oci:.:v1@" + someDigest, "oci:./x@y:z", "localhost:5000/app:v1",
		"oci:.@sha256:abc", "oci:" + strings.Repeat(":", 10),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ref, ok, err := registry.ParseLayoutRef(s)
		if ok != strings.HasPrefix(s, "oci:") {
			t.Fatalf("ParseLayoutRef(%q) ok = %v", s, ok)
		}
		switch {
		case !ok:
			if err != nil || ref != (registry.LayoutRef{}) {
				t.Fatalf("ParseLayoutRef(%q) = %+v, %v for a non-layout reference", s, ref, err)
			}
			return
		case err != nil:
			if !errors.Is(err, registry.ErrInvalidReference) {
				t.Fatalf("ParseLayoutRef(%q) error %v is not ErrInvalidReference", s, err)
			}
			return
		}
		if (ref.Tag == "") == (ref.Digest == v1.Hash{}) || ref.Dir == "" {
			t.Fatalf("ParseLayoutRef(%q) = %+v: want a directory and one of tag and digest", s, ref)
		}
		again, _, err := registry.ParseLayoutRef(ref.String())
		if err != nil || again != ref {
			t.Fatalf("ParseLayoutRef(%q) = %+v, but its String %q parses as %+v, %v",
				s, ref, ref.String(), again, err)
		}
	})
}
