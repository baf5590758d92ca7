package teststack

import (
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
)

// validBefore is how far before now the logs' keys are said to be valid
// from, so that entries and SCTs made a moment ago fall inside.
const validBefore = time.Hour

// TrustedRoot returns a trusted root for the stack: the Fulcio CA, the CT
// log's and Rekor's keys and this test's timestamp authority.
func (s *Stack) TrustedRoot() *root.TrustedRoot {
	return s.root
}

// TrustedRootJSON returns TrustedRoot as a trusted_root.json document
// (media type application/vnd.dev.sigstore.trustedroot+json;version=0.1).
func (s *Stack) TrustedRootJSON() []byte {
	return append([]byte(nil), s.rootJSON...)
}

// WriteTrustedRoot writes TrustedRootJSON as trusted_root.json in dir and
// returns the file's name.
func (s *Stack) WriteTrustedRoot(t testing.TB, dir string) string {
	t.Helper()
	file := filepath.Join(dir, "trusted_root.json")
	if err := os.WriteFile(file, s.rootJSON, 0o644); err != nil {
		t.Fatalf("teststack: %v", err)
	}
	return file
}

// buildTrustedRoot sets s.root and s.rootJSON.
func (s *Stack) buildTrustedRoot() error {
	tr, err := s.trustedRoot()
	if err != nil {
		return err
	}
	s.rootJSON, err = tr.MarshalJSON()
	s.root = tr
	return err
}

func (s *Stack) trustedRoot() (*root.TrustedRoot, error) {
	start := time.Now().Add(-validBefore)
	chain := s.sh.fulcio.chain
	ca := &root.FulcioCertificateAuthority{
		Root:                chain[len(chain)-1],
		Intermediates:       chain[:len(chain)-1],
		ValidityPeriodStart: chain[len(chain)-1].NotBefore,
		URI:                 s.FulcioURL,
	}
	tsaChain := s.tsa.Chain
	tsa := &root.SigstoreTimestampingAuthority{
		Leaf:                tsaChain[0],
		Intermediates:       tsaChain[1 : len(tsaChain)-1],
		Root:                tsaChain[len(tsaChain)-1],
		ValidityPeriodStart: tsaChain[len(tsaChain)-1].NotBefore,
		URI:                 s.TSAURL,
	}
	ctLog, err := transparencyLog(&s.sh.ct.key.PublicKey, s.CTLogURL, start)
	if err != nil {
		return nil, err
	}
	rekorLog, err := transparencyLog(s.sh.rekor.pub, s.RekorURL, start)
	if err != nil {
		return nil, err
	}
	return root.NewTrustedRoot(root.TrustedRootMediaType01,
		[]root.CertificateAuthority{ca}, byID(ctLog),
		[]root.TimestampingAuthority{tsa}, byID(rekorLog))
}

// transparencyLog describes a log whose ID is the SHA-256 of its key's
// PKIX DER, as both RFC 6962 and Rekor define it.
func transparencyLog(pub crypto.PublicKey, url string, start time.Time) (
	*root.TransparencyLog, error,
) {
	der, err := cryptoutils.MarshalPublicKeyToDER(pub)
	if err != nil {
		return nil, err
	}
	id := sha256.Sum256(der)
	return &root.TransparencyLog{
		BaseURL: url, ID: id[:], ValidityPeriodStart: start,
		HashFunc: crypto.SHA256, PublicKey: pub, SignatureHashFunc: crypto.SHA256,
	}, nil
}

// byID maps a log by its ID in hex, as sigstore-go looks logs up.
func byID(l *root.TransparencyLog) map[string]*root.TransparencyLog {
	return map[string]*root.TransparencyLog{hex.EncodeToString(l.ID): l}
}
