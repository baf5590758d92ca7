package main

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"os"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/notaryproject/notation-core-go/signature"
	"github.com/notaryproject/notation-core-go/signature/jws"
	nx509 "github.com/notaryproject/notation-core-go/x509"
	nregistry "github.com/notaryproject/notation-go/registry"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/registry/remote"

	vnotation "github.com/vouchsec/vouch/pkg/notation"
)

// These helpers act as an attacker with write access to the registry
// would, on the notation signatures stored as referrers of an image.

// orasRepo returns an oras client for the repository of ref.
func (h *harness) orasRepo(ref string) (*remote.Repository, name.Digest) {
	h.t.Helper()
	d, err := name.NewDigest(ref)
	if err != nil {
		h.t.Fatal(err)
	}
	r, err := remote.NewRepository(d.Context().Name())
	if err != nil {
		h.t.Fatal(err)
	}
	r.PlainHTTP = true
	return r, d
}

// onlyNotation returns the one notation signature on img.
func (h *harness) onlyNotation(img string) *vnotation.Signature {
	h.t.Helper()
	_, d := h.orasRepo(img)
	ev, err := vnotation.Discover(h.t.Context(), d, vnotation.RegistryOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	if len(ev.Signatures) != 1 {
		h.t.Fatalf("%s has %d notation signatures, want 1", img, len(ev.Signatures))
	}
	return ev.Signatures[0]
}

// pushEnvelope attaches an envelope to the image ref as a notation
// signature.
func (h *harness) pushEnvelope(ref, mediaType string, envelope []byte) {
	h.t.Helper()
	r, d := h.orasRepo(ref)
	subject, err := r.Resolve(h.t.Context(), d.DigestStr())
	if err != nil {
		h.t.Fatal(err)
	}
	_, _, err = nregistry.NewRepository(r).PushSignature(h.t.Context(), mediaType, envelope, subject, nil)
	if err != nil {
		h.t.Fatal(err)
	}
}

// tamperNotation replaces the JWS signature on img with a copy whose
// payload names a different digest, keeping the envelope well formed.
func (h *harness) tamperNotation(img string) {
	h.t.Helper()
	sig := h.onlyNotation(img)
	var env map[string]any
	if err := json.Unmarshal(sig.Envelope, &env); err != nil {
		h.t.Fatal(err)
	}
	payload, err := base64.RawURLEncoding.DecodeString(env["payload"].(string))
	if err != nil {
		h.t.Fatal(err)
	}
	payload = []byte(strings.Replace(string(payload), `"size":`, `"size":1`, 1))
	env["payload"] = base64.RawURLEncoding.EncodeToString(payload)
	bad, err := json.Marshal(env)
	if err != nil {
		h.t.Fatal(err)
	}
	r, _ := h.orasRepo(img)
	if err := r.Delete(h.t.Context(), sig.Manifest); err != nil {
		h.t.Fatal(err)
	}
	h.pushEnvelope(img, sig.MediaType, bad)
}

// moveNotation attaches the signature of from, unchanged, to to.
func (h *harness) moveNotation(from, to string) {
	h.t.Helper()
	sig := h.onlyNotation(from)
	h.pushEnvelope(to, sig.MediaType, sig.Envelope)
}

// pushCriticalAttribute signs img with a JWS envelope that carries an
// extended signed attribute marked critical that no verifier knows.
func (h *harness) pushCriticalAttribute(img, keyFile, certFile string) {
	h.t.Helper()
	certs, err := nx509.ReadCertificateFile(certFile)
	if err != nil {
		h.t.Fatal(err)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		h.t.Fatal(err)
	}
	block, _ := pem.Decode(keyPEM)
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		h.t.Fatal(err)
	}
	signer, err := signature.NewLocalSigner(certs, key)
	if err != nil {
		h.t.Fatal(err)
	}
	r, d := h.orasRepo(img)
	subject, err := r.Resolve(h.t.Context(), d.DigestStr())
	if err != nil {
		h.t.Fatal(err)
	}
	target := ocispec.Descriptor{MediaType: subject.MediaType, Digest: subject.Digest, Size: subject.Size}
	content, err := json.Marshal(map[string]any{"targetArtifact": target})
	if err != nil {
		h.t.Fatal(err)
	}
	env, err := signature.NewEnvelope(jws.MediaTypeEnvelope)
	if err != nil {
		h.t.Fatal(err)
	}
	blob, err := env.Sign(&signature.SignRequest{
		Payload: signature.Payload{
			ContentType: "application/vnd.cncf.notary.payload.v1+json", Content: content,
		},
		Signer:        signer,
		SigningTime:   time.Now(),
		SigningScheme: signature.SigningSchemeX509,
		SigningAgent:  "vouch-test",
		ExtendedSignedAttributes: []signature.Attribute{
			{Key: "io.vouch.test.unknown", Critical: true, Value: "must be understood"},
		},
	})
	if err != nil {
		h.t.Fatal(err)
	}
	h.pushEnvelope(img, jws.MediaTypeEnvelope, blob)
}
