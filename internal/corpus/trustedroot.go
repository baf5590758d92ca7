package corpus

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
)

// ctfe2022 is the public-good instance's CT log key that signed the SCTs in
// the corpus's 2022-2023 Fulcio certificates (log ID dd3d306a…). The corpus
// does not carry it; it is the key of https://ctfe.sigstore.dev/2022 as
// sigstore-go's examples/trusted-root-public-good.json publishes it.
const ctfe2022 = `-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEiPSlFi0CmFTfEjCUqF9HuCEcYXNK
AaYalIJmBZ8yyezPjTqhxrKBpMnaocVtLJBI1eM3uXnQzQGAJdJ4gs9Fyw==
-----END PUBLIC KEY-----
`

// PublicGoodRoot builds a trusted root for the public Sigstore instance as
// it was in 2022-2023 from the corpus's cosign/keys: the Fulcio root and
// intermediate of fulcio-chain.pem, the Rekor key of rekor-public-good.pub
// (its log ID the SHA-256 of its DER form) and the CT log key above, each
// valid from 2022 to the end of 2023.
func PublicGoodRoot(t testing.TB) *root.TrustedRoot {
	t.Helper()
	start := time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)
	end := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	chain := readCerts(t, Path(t, "cosign/keys/fulcio-chain.pem"))
	ca := &root.FulcioCertificateAuthority{Root: chain[len(chain)-1],
		Intermediates: chain[:len(chain)-1], ValidityPeriodStart: start,
		ValidityPeriodEnd: end, URI: "https://fulcio.sigstore.dev"}
	rekor := readKey(t, Path(t, "cosign/keys/rekor-public-good.pub"))
	ct, err := cryptoutils.UnmarshalPEMToPublicKey([]byte(ctfe2022))
	if err != nil {
		t.Fatal(err)
	}
	ctStart := time.Date(2022, 10, 20, 0, 0, 0, 0, time.UTC)
	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01,
		[]root.CertificateAuthority{ca},
		byID(tlog(t, ct, "https://ctfe.sigstore.dev/2022", ctStart, end)),
		nil,
		byID(tlog(t, rekor, "https://rekor.sigstore.dev", start, end)))
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// WritePublicGoodRoot writes PublicGoodRoot as trusted_root.json in dir and
// returns the file's name.
func WritePublicGoodRoot(t testing.TB, dir string) string {
	t.Helper()
	data, err := PublicGoodRoot(t).MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "trusted_root.json")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

// byID maps a log by its ID in hex, as sigstore-go looks logs up.
func byID(l *root.TransparencyLog) map[string]*root.TransparencyLog {
	return map[string]*root.TransparencyLog{hex.EncodeToString(l.ID): l}
}

func tlog(t testing.TB, pub crypto.PublicKey, url string, start, end time.Time) *root.TransparencyLog {
	t.Helper()
	der, err := cryptoutils.MarshalPublicKeyToDER(pub)
	if err != nil {
		t.Fatal(err)
	}
	id := sha256.Sum256(der)
	return &root.TransparencyLog{BaseURL: url, ID: id[:], ValidityPeriodStart: start,
		ValidityPeriodEnd: end, HashFunc: crypto.SHA256, PublicKey: pub,
		SignatureHashFunc: crypto.SHA256}
}

func readCerts(t testing.TB, file string) []*x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	certs, err := cryptoutils.UnmarshalCertificatesFromPEM(data)
	if err != nil || len(certs) == 0 {
		t.Fatalf("%s: no certificates: %v", file, err)
	}
	return certs
}

func readKey(t testing.TB, file string) crypto.PublicKey {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(data)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return pub
}
