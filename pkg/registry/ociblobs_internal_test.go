package registry

import (
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestBlobPath(t *testing.T) {
	hex := strings.Repeat("ab", 32)
	tests := []struct {
		h    v1.Hash
		want string // empty for a refused digest
	}{
		{v1.Hash{Algorithm: "sha256", Hex: hex}, filepath.Join("blobs", "sha256", hex)},
		{v1.Hash{Algorithm: "sha256", Hex: "../../../../etc/passwd"}, ""},
		{v1.Hash{Algorithm: "sha256", Hex: "../" + hex[3:]}, ""},
		{v1.Hash{Algorithm: "sha256", Hex: strings.ToUpper(hex)}, ""},
		{v1.Hash{Algorithm: "sha256", Hex: hex[:63]}, ""},
		{v1.Hash{Algorithm: "sha256", Hex: hex + "0"}, ""},
		{v1.Hash{Algorithm: "../sha256", Hex: hex}, ""},
		{v1.Hash{Algorithm: "sha512", Hex: hex + hex}, ""},
		{v1.Hash{}, ""},
	}
	for _, tt := range tests {
		got, err := blobPath(tt.h)
		switch {
		case tt.want == "" && err == nil:
			t.Errorf("blobPath(%q, %q) = %q, want it refused", tt.h.Algorithm, tt.h.Hex, got)
		case tt.want != "" && (err != nil || got != tt.want):
			t.Errorf("blobPath(%q, %q) = %q, %v; want %q", tt.h.Algorithm, tt.h.Hex, got, err, tt.want)
		}
	}
}

func TestErrBlobUnknown(t *testing.T) {
	if errBlobUnknown == nil {
		t.Fatal("ggcr's in-memory blob handler no longer reports a missing blob: " +
			"the layout's missing blobs would be answered 500, not 404")
	}
}
