package teststack

import (
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
)

// CosignEnv writes the CT log's and Rekor's keys and Fulcio's CA chain into
// dir and returns the SIGSTORE_CT_LOG_PUBLIC_KEY_FILE, SIGSTORE_REKOR_PUBLIC_KEY
// and SIGSTORE_ROOT_FILE entries that make the cosign CLI trust the stack
// without a trusted root or TUF, for its classic (non-bundle) commands.
func (s *Stack) CosignEnv(t testing.TB, dir string) []string {
	t.Helper()
	ctKey, err := pemKey(&s.sh.ct.key.PublicKey)
	if err != nil {
		t.Fatalf("teststack: %v", err)
	}
	rekorKey, err := pemKey(s.sh.rekor.pub)
	if err != nil {
		t.Fatalf("teststack: %v", err)
	}
	var chain []byte
	for _, c := range s.sh.fulcio.chain {
		chain = append(chain, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	write := func(name string, data []byte) string {
		file := filepath.Join(dir, name)
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatalf("teststack: %v", err)
		}
		return file
	}
	return []string{
		"SIGSTORE_CT_LOG_PUBLIC_KEY_FILE=" + write("ctfe.pem", ctKey),
		"SIGSTORE_REKOR_PUBLIC_KEY=" + write("rekor.pem", rekorKey),
		"SIGSTORE_ROOT_FILE=" + write("fulcio.pem", chain),
	}
}
