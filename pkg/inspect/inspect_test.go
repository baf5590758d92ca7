package inspect_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/notaryproject/tspclient-go"
	"github.com/sigstore/cosign/v2/pkg/cosign/bundle"
	"github.com/sigstore/cosign/v2/pkg/oci/mutate"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
	cstatic "github.com/sigstore/cosign/v2/pkg/oci/static"

	"github.com/vouchsec/vouch/internal/corpus"
	"github.com/vouchsec/vouch/internal/testreg"
	"github.com/vouchsec/vouch/internal/testtsa"
	"github.com/vouchsec/vouch/pkg/inspect"
	"github.com/vouchsec/vouch/pkg/registry"
)

// Identities of the keyless-style certificate the tests make.
const (
	keylessSAN    = "https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1.0.0"
	keylessIssuer = "https://token.actions.githubusercontent.com"
	claimedPT     = "https://example.com/claimed"
)

// Corpus bundles and what they record.
const (
	// A message signature, logged in Rekor v1.
	messageBundle     = "sigstore/conformance/happy-path-v0.3-new-mediaType/bundle.sigstore.json"
	messageBundleTime = "2024-03-19T17:26:26Z"
	// A message signature logged in Rekor v2, which records no time,
	// with a timestamp from a timestamp authority.
	tsaBundle = "sigstore/conformance/rekor2-checkpoint-cosigned/bundle.sigstore.json"
	// What cosign attest --new-bundle-format writes.
	dsseBundle   = "sigstore/cosign/oci-attestation.sigstore.json"
	dsseBundlePT = "https://cosign.sigstore.dev/attestation/v1"
)

var oidIssuer = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 1}

// keylessCert returns a PEM certificate shaped like a Fulcio one.
func keylessCert(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(keylessSAN)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7),
		NotBefore:    time.Now().Add(-time.Minute), NotAfter: time.Now().Add(10 * time.Minute),
		URIs:            []*url.URL{u},
		ExtraExtensions: []pkix.Extension{{Id: oidIssuer, Value: []byte(keylessIssuer)}},
	}
	// Issued in the name of an intermediate, signed with the leaf's own
	// key: inspect reads the names and checks no signature.
	parent := &x509.Certificate{Subject: pkix.Name{CommonName: "sigstore-intermediate"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// tsaResponse asks a real timestamp authority for a response over content.
func tsaResponse(t *testing.T, content []byte) (der []byte, genTime time.Time) {
	t.Helper()
	tsa := testtsa.Start(t)
	ts, err := tspclient.NewHTTPTimestamper(nil, tsa.URL)
	if err != nil {
		t.Fatal(err)
	}
	req, err := tspclient.NewRequest(tspclient.RequestOptions{Content: content, HashAlgorithm: crypto.SHA256})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := ts.Timestamp(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := resp.SignedToken()
	if err != nil {
		t.Fatal(err)
	}
	info, err := tok.Info()
	if err != nil {
		t.Fatal(err)
	}
	der, err = resp.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return der, info.GenTime.UTC()
}

// attach writes, with cosign's library, the evidence the test inspects
// and returns the time the TSA recorded and when the log entry says.
func attach(t *testing.T, d name.Digest) (tsaTime time.Time, logTime time.Time) {
	t.Helper()
	opts := ociremote.WithRemoteOptions(remote.WithContext(t.Context()))
	se, err := ociremote.SignedEntity(d, opts)
	if err != nil {
		t.Fatal(err)
	}
	tsaDER, tsaTime := tsaResponse(t, []byte("signature"))
	logTime = time.Date(2025, 5, 6, 7, 8, 9, 0, time.UTC)
	keyless, err := cstatic.NewSignature([]byte(`{"critical":{}}`), "c2ln",
		cstatic.WithCertChain(keylessCert(t), nil),
		cstatic.WithBundle(&bundle.RekorBundle{Payload: bundle.RekorPayload{IntegratedTime: logTime.Unix()}}))
	if err != nil {
		t.Fatal(err)
	}
	stamped, err := cstatic.NewSignature([]byte(`{"critical":{}}`), "c2ln",
		cstatic.WithRFC3161Timestamp(&bundle.RFC3161Timestamp{SignedRFC3161Timestamp: tsaDER}))
	if err != nil {
		t.Fatal(err)
	}
	statement := `{"_type":"https://in-toto.io/Statement/v1","subject":[],"predicateType":"https://slsa.dev/provenance/v1","predicate":{}}`
	env := `{"payloadType":"application/vnd.in-toto+json","payload":"` +
		base64.StdEncoding.EncodeToString([]byte(statement)) + `","signatures":[{"sig":"c2ln"}]}`
	att, err := cstatic.NewAttestation([]byte(env), cstatic.WithLayerMediaType(types.MediaType("application/vnd.dsse.envelope.v1+json")))
	if err != nil {
		t.Fatal(err)
	}
	if se, err = mutate.AttachSignatureToEntity(se, keyless); err != nil {
		t.Fatal(err)
	}
	if se, err = mutate.AttachSignatureToEntity(se, stamped); err != nil {
		t.Fatal(err)
	}
	if err := ociremote.WriteSignatures(d.Repository, se, opts); err != nil {
		t.Fatal(err)
	}
	if se, err = mutate.AttachAttestationToEntity(se, att); err != nil {
		t.Fatal(err)
	}
	if err := ociremote.WriteAttestationsReferrer(d, se, opts); err != nil {
		t.Fatal(err)
	}
	for _, b := range []string{messageBundle, tsaBundle, dsseBundle} {
		data, err := os.ReadFile(corpus.Path(t, b))
		if err != nil {
			t.Fatal(err)
		}
		if err := ociremote.WriteAttestationNewBundleFormat(d, data, claimedPT, opts); err != nil {
			t.Fatal(err)
		}
	}
	return tsaTime, logTime
}

// attachNested writes a plain SBOM referrer, a note about that SBOM, and
// a referrer claiming to be a notation signature that holds garbage.
func attachNested(t *testing.T, c *registry.Client, d name.Digest) {
	t.Helper()
	opts := ociremote.WithRemoteOptions(remote.WithContext(t.Context()))
	sbom := static.NewLayer([]byte(`{"spdxVersion":"SPDX-2.3"}`), "application/spdx+json")
	if err := ociremote.WriteReferrer(d, "application/spdx+json", []v1.Layer{sbom}, nil, opts); err != nil {
		t.Fatal(err)
	}
	refs, err := c.Referrers(t.Context(), d, "application/spdx+json")
	if err != nil || len(refs) != 1 {
		t.Fatalf("finding the SBOM referrer: %v %v", refs, err)
	}
	note := static.NewLayer([]byte("reviewed"), "text/plain")
	if err := ociremote.WriteReferrer(d.Context().Digest(refs[0].Digest.String()), "application/vnd.example.note",
		[]v1.Layer{note}, nil, opts); err != nil {
		t.Fatal(err)
	}
	garbage := static.NewLayer([]byte("not an envelope"), "application/jose+json")
	if err := ociremote.WriteReferrer(d, "application/vnd.cncf.notary.signature", []v1.Layer{garbage},
		nil, opts); err != nil {
		t.Fatal(err)
	}
}

func TestImage(t *testing.T) {
	for _, referrers := range []bool{true, false} {
		t.Run(map[bool]string{true: "referrers API", false: "tag schema"}[referrers], func(t *testing.T) {
			host := testreg.GGCR(t, referrers)
			h := testreg.PushSample(t, host, "acme/app", "1.0")
			d, err := name.NewDigest(host + "/acme/app@" + h.String())
			if err != nil {
				t.Fatal(err)
			}
			c := registry.New()
			tsaTime, logTime := attach(t, d)
			attachNested(t, c, d)
			res, err := inspect.Image(context.Background(), host+"/acme/app:1.0", inspect.Options{Client: c})
			if err != nil {
				t.Fatal(err)
			}
			if res.Digest != h.String() || len(res.Platforms) != 2 {
				t.Fatalf("digest %s, %d platforms", res.Digest, len(res.Platforms))
			}
			checkItems(t, res.Attached, tsaTime, logTime)
		})
	}
}

// checkItems checks what TestImage attached, by kind and predicate type.
func checkItems(t *testing.T, items []*inspect.Item, tsaTime, logTime time.Time) {
	t.Helper()
	got := map[string]*inspect.Item{}
	for _, it := range items {
		key := it.Kind
		switch {
		case it.Kind == inspect.KindCosignSignature && it.Signer.Certificate != nil:
			key += " keyless"
		case it.Kind == inspect.KindSigstoreBundle:
			key += " " + it.CreatedFrom + " " + it.Envelope
		}
		if got[key] != nil {
			t.Fatalf("two items are %s", key)
		}
		got[key] = it
	}
	if len(got) != 8 {
		b, _ := json.MarshalIndent(items, "", "  ")
		t.Fatalf("%d items, want 8:\n%s", len(got), b)
	}

	keyless := got["cosign-signature keyless"]
	if s := keyless.Signer; s.Identity != keylessSAN || s.Certificate.OIDCIssuer != keylessIssuer ||
		s.Certificate.Issuer != "CN=sigstore-intermediate" || !keyless.Created.Equal(logTime) ||
		keyless.CreatedFrom != inspect.CreatedFromTransparencyLog {
		t.Errorf("keyless signature %+v signer %+v", keyless, s)
	}
	stamped := got["cosign-signature"]
	if stamped.Signer.Identity != "key (unverified)" || !stamped.Created.Equal(tsaTime) ||
		stamped.CreatedFrom != inspect.CreatedFromTimestamp || stamped.Error != "" {
		t.Errorf("timestamped signature %+v", stamped)
	}

	att := got["cosign-attestation"]
	if att.Storage != inspect.StorageReferrer || att.PredicateType != "https://slsa.dev/provenance/v1" ||
		att.Envelope != "dsse" || att.Error != "" {
		t.Errorf("cosign attestation referrer %+v", att)
	}

	msgTime, _ := time.Parse(time.RFC3339, messageBundleTime)
	msg := got["sigstore-bundle transparency log entry message-signature"]
	if msg == nil || !msg.Created.Equal(msgTime) || msg.PredicateType != "" || msg.Signer.Certificate == nil {
		t.Errorf("message-signature bundle %+v", msg)
	}
	if b := got["sigstore-bundle RFC 3161 timestamp message-signature"]; b == nil || b.Created.Year() < 2025 {
		t.Errorf("bundle with a timestamp %+v", b)
	}
	dsse := got["sigstore-bundle transparency log entry dsse"]
	if dsse == nil || dsse.PredicateType != dsseBundlePT || dsse.Signer.Identity != "cody@soyland.com" {
		t.Errorf("DSSE bundle %+v (the statement's predicate type, not the annotation's, must win)", dsse)
	}

	sbom := got["referrer"]
	if sbom.ArtifactType != "application/spdx+json" || len(sbom.Attached) != 1 ||
		sbom.Attached[0].ArtifactType != "application/vnd.example.note" || sbom.Attached[0].Size != 8 {
		t.Errorf("SBOM referrer %+v with %+v", sbom, sbom.Attached)
	}
	if bad := got["notation-signature"]; !strings.Contains(bad.Error, "parsing notation envelope") {
		t.Errorf("garbage notation signature %+v, want an error", bad)
	}
}

func TestImageErrors(t *testing.T) {
	host := testreg.GGCR(t, true)
	c := registry.New()
	if _, err := inspect.Image(t.Context(), host+"/acme/none:1", inspect.Options{Client: c}); err == nil {
		t.Error("inspecting a missing image succeeded")
	}
	if _, err := inspect.Image(t.Context(), host+"/acme/none:1", inspect.Options{}); err == nil {
		t.Error("inspecting without a client succeeded")
	}
}
