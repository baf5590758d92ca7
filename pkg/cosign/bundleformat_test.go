package cosign

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
	"github.com/sigstore/sigstore-go/pkg/bundle"

	"github.com/vouchsec/vouch/internal/testreg"
	"github.com/vouchsec/vouch/internal/testtsa"
	"github.com/vouchsec/vouch/pkg/sigstore"
)

func TestSignStatement(t *testing.T) {
	d, err := name.NewDigest("example.com/app@sha256:" + strings.Repeat("ab", 32))
	if err != nil {
		t.Fatal(err)
	}
	got, err := SignStatement(d)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha256":"` +
		strings.Repeat("ab", 32) + `"}}],"predicateType":"https://sigstore.dev/cosign/sign/v1"}`
	if string(got) != want {
		t.Errorf("SignStatement:\n got %s\nwant %s", got, want)
	}
}

// signedBundle signs cosign's image statement for d with a new key and a
// timestamp from tsa.
func signedBundle(t *testing.T, d name.Digest, tsa *testtsa.TSA) *bundle.Bundle {
	t.Helper()
	st, err := SignStatement(d)
	if err != nil {
		t.Fatal(err)
	}
	b, err := sigstore.SignStatement(testContext(t), st,
		sigstore.SignOptions{Signer: newKey(t).sv, TimestampURL: tsa.URL})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestWriteBundle(t *testing.T) {
	tsa := testtsa.Start(t)
	for _, referrers := range []bool{true, false} {
		name := map[bool]string{true: "referrers API", false: "referrers tag"}[referrers]
		t.Run(name, func(t *testing.T) {
			host, count := testreg.GGCRCounted(t, referrers)
			r := &testRegistry{host: host}
			d := r.push(t, "acme/app")
			b := signedBundle(t, d, tsa)
			ctx := testContext(t)
			if err := WriteBundle(ctx, d, b, SignPredicateType, nil); err != nil {
				t.Fatal(err)
			}
			count.Reset()
			if err := WriteBundle(ctx, d, b, SignPredicateType, nil); err != nil {
				t.Fatal(err)
			}
			if n := count.Writes(); n != 0 {
				t.Errorf("writing the same bundle again made %d writes, want 0", n)
			}
			refs, err := FetchBundles(ctx, d, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(refs) != 1 || refs[0].Err != nil {
				t.Fatalf("FetchBundles = %+v, want one bundle", refs)
			}
			checkSameBundle(t, refs[0].Bundle, b)
			checkManifest(t, d, refs[0].Digest)
		})
	}
}

func checkSameBundle(t *testing.T, got, want *bundle.Bundle) {
	t.Helper()
	g, err := compactProtoJSON(got.MarshalJSON())
	if err != nil {
		t.Fatal(err)
	}
	w, err := compactProtoJSON(want.MarshalJSON())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(g, w) {
		t.Errorf("read bundle differs from the one written:\n got %s\nwant %s", g, w)
	}
}

// checkManifest checks the referrer's manifest has cosign's shape.
func checkManifest(t *testing.T, d name.Digest, ref v1.Hash) {
	t.Helper()
	got, err := remote.Get(d.Context().Digest(ref.String()))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		ArtifactType string            `json:"artifactType"`
		Annotations  map[string]string `json:"annotations"`
		Subject      v1.Descriptor     `json:"subject"`
		Layers       []v1.Descriptor   `json:"layers"`
	}
	if err := json.Unmarshal(got.Manifest, &m); err != nil {
		t.Fatal(err)
	}
	switch {
	case m.ArtifactType != BundleMediaType:
		t.Errorf("artifactType %q, want %q", m.ArtifactType, BundleMediaType)
	case len(m.Layers) != 1 || m.Layers[0].MediaType != BundleMediaType:
		t.Errorf("layers %+v, want one %s", m.Layers, BundleMediaType)
	case m.Subject.Digest.String() != d.DigestStr():
		t.Errorf("subject %s, want %s", m.Subject.Digest, d.DigestStr())
	case m.Annotations[AnnotationBundlePredicateType] != SignPredicateType,
		m.Annotations[AnnotationBundleContent] != "dsse-envelope":
		t.Errorf("annotations %v", m.Annotations)
	}
}

func TestFetchBundlesRefusesOversizedLayer(t *testing.T) {
	r := &testRegistry{host: testreg.GGCR(t, true)}
	d := r.push(t, "acme/app")
	big := static.NewLayer(bytes.Repeat([]byte(" "), MaxBundleSize+1), BundleMediaType)
	layerDigest, err := big.Digest()
	if err != nil {
		t.Fatal(err)
	}
	pushReferrer(t, d, big)
	refs, err := FetchBundles(testContext(t), d, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(refs) != 1 || refs[0].Err == nil {
		t.Fatalf("FetchBundles = %+v, want one refused referrer", refs)
	}
	if msg := refs[0].Err.Error(); !strings.Contains(msg, layerDigest.String()) ||
		!strings.Contains(msg, "more than") {
		t.Errorf("error %q does not say layer %s is too large", msg, layerDigest)
	}
}

// pushReferrer writes a bundle-typed referrer of d holding layer, as
// cosign would.
func pushReferrer(t *testing.T, d name.Digest, layer v1.Layer) {
	t.Helper()
	if err := ociremote.WriteReferrer(d, BundleMediaType, []v1.Layer{layer}, nil); err != nil {
		t.Fatal(err)
	}
}

func TestIsBundleMediaType(t *testing.T) {
	for mt, want := range map[string]bool{
		BundleMediaType: true,
		"application/vnd.dev.sigstore.bundle+json;version=0.1": true,
		"application/vnd.dev.sigstore.bundle+json;version=0.2": true,
		"application/vnd.dev.sigstore.bundle.v0.4+json":        false,
		"application/vnd.in-toto+json":                         false,
	} {
		if got := IsBundleMediaType(mt); got != want {
			t.Errorf("IsBundleMediaType(%q) = %v, want %v", mt, got, want)
		}
	}
}
