package corpus

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sigstore/cosign/v2/pkg/cosign/bundle"
	"github.com/sigstore/cosign/v2/pkg/oci"
	"github.com/sigstore/cosign/v2/pkg/oci/static"
	"github.com/sigstore/sigstore/pkg/signature/payload"
)

// KeylessCases returns the corpus's cosign classic keyless signatures:
// the cosign-simple-signing cases with a certificate.
func KeylessCases(t testing.TB) []Case {
	t.Helper()
	var out []Case
	for _, c := range Cases(t, "cosign-simple-signing") {
		if c.Certificate != "" {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		t.Fatal("no keyless cosign-simple-signing cases")
	}
	return out
}

func readCorpus(t testing.TB, rel string) []byte {
	t.Helper()
	data, err := os.ReadFile(Path(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// CosignSignature builds the .sig layer of a corpus case as cosign stores
// it: payload, signature, certificate, chain and Rekor bundle. withBundle
// false leaves the bundle out. It returns the digest the payload names.
func CosignSignature(t testing.TB, c Case, withBundle bool) (oci.Signature, v1.Hash) {
	t.Helper()
	p := readCorpus(t, c.Payload)
	b64 := strings.TrimSpace(string(readCorpus(t, c.Signature)))
	var chain []byte
	if c.Chain != "" {
		chain = readCorpus(t, c.Chain)
	}
	opts := []static.Option{static.WithCertChain(readCorpus(t, c.Certificate), chain)}
	if withBundle {
		var rb bundle.RekorBundle
		if err := json.Unmarshal(readCorpus(t, c.RekorBundle), &rb); err != nil {
			t.Fatal(err)
		}
		opts = append(opts, static.WithBundle(&rb))
	}
	sig, err := static.NewSignature(p, b64, opts...)
	if err != nil {
		t.Fatal(err)
	}
	var doc payload.SimpleContainerImage
	if err := json.Unmarshal(p, &doc); err != nil {
		t.Fatal(err)
	}
	h, err := v1.NewHash(doc.Critical.Image.DockerManifestDigest)
	if err != nil {
		t.Fatal(err)
	}
	if c.ImageManifest != "" {
		sum := sha256.Sum256(readCorpus(t, c.ImageManifest))
		if got := "sha256:" + hex.EncodeToString(sum[:]); got != h.String() {
			t.Fatalf("manifest digest %s, payload names %s", got, h)
		}
	}
	return sig, h
}
