package cosign

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	ssldsse "github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/sigstore/cosign/v2/pkg/oci"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
	"github.com/sigstore/cosign/v2/pkg/oci/static"
	"github.com/sigstore/cosign/v2/pkg/types"
	"github.com/sigstore/sigstore/pkg/signature"
)

// TestVerifyCorpusSignature verifies a key-pair signature that cosign made
// for a real image (containers/image's fixture), and refuses it with the
// other fixture key.
func TestVerifyCorpusSignature(t *testing.T) {
	dir := "testdata/dir-img-cosign-valid/"
	sum := sha256.Sum256(readFile(t, dir+"manifest.json"))
	h := v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}
	sig, err := static.NewSignature(readFile(t, dir+"payload.json"),
		strings.TrimSpace(string(readFile(t, dir+"signature.b64"))))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		key       string
		digest    v1.Hash
		wantCheck string
	}{
		{"signing key", "testdata/containers-image.cosign.pub", h, ""},
		{"other key", "testdata/containers-image.cosign2.pub", h, CheckSignature},
		{"other digest", "testdata/containers-image.cosign.pub",
			v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("0", 64)}, CheckPayloadDigest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pub, err := LoadPublicKey(readFile(t, tt.key))
			if err != nil {
				t.Fatal(err)
			}
			assertCheck(t, VerifySignature(testContext(t), sig, tt.digest, pub), tt.wantCheck)
		})
	}
}

func TestVerifySignatureRefusals(t *testing.T) {
	reg := newRegistry(t)
	a, b := reg.push(t, "app"), reg.push(t, "app")
	k, other := newKey(t), newKey(t)
	ctx := testContext(t)
	if _, err := Sign(ctx, a, k.sv, nil); err != nil {
		t.Fatal(err)
	}
	good := fetch(t, a).Signatures[0]
	copyTag(t, a, b, ociremote.SignatureTag)
	moved := fetch(t, b).Signatures

	tests := []struct {
		name      string
		sig       oci.Signature
		digest    name.Digest
		pub       signature.Verifier
		wantCheck string
	}{
		{"valid", good, a, k.pub, ""},
		{"wrong key", good, a, other.pub, CheckSignature},
		{".sig of image A copied to image B", moved[0], b, k.pub, CheckPayloadDigest},
		{"flipped byte in signature", flipSignature(t, good), a, k.pub, CheckSignature},
		{"flipped byte in payload", flipPayload(t, good), a, k.pub, CheckSignature},
		{"no signature annotation", noSignature(t, good), a, k.pub, CheckSignature},
		{"signed payload is not JSON", signedJunk(t, k.sv), a, k.pub, CheckPayload},
	}
	if len(moved) != 1 {
		t.Fatalf("image B's tag holds %d signatures after the copy, want 1", len(moved))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifySignature(ctx, tt.sig, hashOf(t, tt.digest), tt.pub)
			assertCheck(t, err, tt.wantCheck)
		})
	}
}

func TestVerifyAttestationRefusals(t *testing.T) {
	reg := newRegistry(t)
	a, b := reg.push(t, "app"), reg.push(t, "app")
	k, other := newKey(t), newKey(t)
	ctx := testContext(t)
	st := statementFor(t, b, predicateVuln, "testdata/cosign-vuln.predicate.json")
	if _, err := Attest(ctx, b, k.sv, st, predicateVuln, nil); err != nil {
		t.Fatal(err)
	}
	good := fetch(t, b).Attestations[0]
	// Image B's attestation, moved to image A's tag: well signed, wrong subject.
	copyTag(t, b, a, ociremote.AttestationTag)
	moved := fetch(t, a).Attestations

	tests := []struct {
		name      string
		att       oci.Signature
		digest    name.Digest
		pub       signature.Verifier
		wantCheck string
	}{
		{"valid", good, b, k.pub, ""},
		{"wrong key", good, b, other.pub, CheckDSSESignature},
		{"subject names another digest", moved[0], a, k.pub, CheckSubjectDigest},
		{"flipped byte in DSSE signature", editEnvelope(t, good, flipSig), b, k.pub, CheckDSSESignature},
		{"flipped byte in statement", editEnvelope(t, good, flipStatement), b, k.pub,
			CheckDSSESignature},
		{"flipped byte in envelope JSON", flipFirst(t, good, '{'), b, k.pub, CheckEnvelope},
		{"payload type changed", editEnvelope(t, good, func(e *ssldsse.Envelope) {
			e.PayloadType = "text/plain"
		}), b, k.pub, CheckEnvelope},
		{"payload not base64", editEnvelope(t, good, func(e *ssldsse.Envelope) {
			e.Payload = "%%%"
		}), b, k.pub, CheckEnvelope},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := VerifyAttestation(ctx, tt.att, hashOf(t, tt.digest), tt.pub)
			assertCheck(t, err, tt.wantCheck)
			if err == nil && !bytes.Equal(got, st) {
				t.Errorf("statement = %s, want the one attested", got)
			}
			if err != nil && got != nil {
				t.Errorf("refused attestation still returned a statement")
			}
		})
	}
}

// assertCheck fails unless err is nil when want is empty, or a *CheckError
// for check want.
func assertCheck(t *testing.T, err error, want string) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("verification failed: %v", err)
		}
		return
	}
	var ce *CheckError
	if !errors.As(err, &ce) {
		t.Fatalf("error = %v, want a *CheckError for %q", err, want)
	}
	if ce.Check != want {
		t.Errorf("failed check = %q (%v), want %q", ce.Check, ce.Err, want)
	}
	if !strings.HasPrefix(err.Error(), want+" check: ") {
		t.Errorf("error message %q does not start with the check's name", err)
	}
}

// copyTag points image to's .sig or .att tag at image from's manifest, as
// someone with push access to the repository could.
func copyTag(t *testing.T, from, to name.Digest,
	tagOf func(name.Reference, ...ociremote.Option) (name.Tag, error)) {
	t.Helper()
	src, err := tagOf(from)
	if err != nil {
		t.Fatal(err)
	}
	dst, err := tagOf(to)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Get(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Tag(dst, desc); err != nil {
		t.Fatalf("copying %s to %s: %v", src, dst, err)
	}
}

func flipSignature(t *testing.T, sig oci.Signature) oci.Signature {
	raw, err := sig.Signature()
	if err != nil {
		t.Fatal(err)
	}
	raw = bytes.Clone(raw)
	raw[len(raw)/2] ^= 0x01
	p, _ := sig.Payload()
	s, err := static.NewSignature(p, base64.StdEncoding.EncodeToString(raw))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// flipPayload changes one letter of the docker-reference: still a valid
// simple signing document, no longer what was signed.
func flipPayload(t *testing.T, sig oci.Signature) oci.Signature {
	p, _ := sig.Payload()
	i := bytes.Index(p, []byte(`/app"`))
	if i < 0 {
		t.Fatalf("payload %s has no /app reference", p)
	}
	p = bytes.Clone(p)
	p[i+1] ^= 0x01
	b64, _ := sig.Base64Signature()
	s, err := static.NewSignature(p, b64)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func noSignature(t *testing.T, sig oci.Signature) oci.Signature {
	p, _ := sig.Payload()
	s, err := static.NewSignature(p, "")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// signedJunk is a valid signature over a payload that is not JSON.
func signedJunk(t *testing.T, sv signature.Signer) oci.Signature {
	p := []byte("not a simple signing document")
	raw, err := sv.SignMessage(bytes.NewReader(p))
	if err != nil {
		t.Fatal(err)
	}
	s, err := static.NewSignature(p, base64.StdEncoding.EncodeToString(raw))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// editEnvelope returns att with its DSSE envelope changed by edit.
func editEnvelope(t *testing.T, att oci.Signature, edit func(*ssldsse.Envelope)) oci.Signature {
	p, _ := att.Payload()
	var env ssldsse.Envelope
	if err := json.Unmarshal(p, &env); err != nil {
		t.Fatal(err)
	}
	edit(&env)
	b, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return attestationLayer(t, b)
}

func flipSig(e *ssldsse.Envelope) {
	raw, _ := base64.StdEncoding.DecodeString(e.Signatures[0].Sig)
	raw[len(raw)/2] ^= 0x01
	e.Signatures[0].Sig = base64.StdEncoding.EncodeToString(raw)
}

// flipStatement changes one letter inside the statement: still valid JSON
// with the right subject, no longer what was signed.
func flipStatement(e *ssldsse.Envelope) {
	raw, _ := base64.StdEncoding.DecodeString(e.Payload)
	i := bytes.Index(raw, []byte("fakescanner"))
	raw[i] ^= 0x01
	e.Payload = base64.StdEncoding.EncodeToString(raw)
}

// flipFirst flips one bit of the first occurrence of c in the layer's bytes.
func flipFirst(t *testing.T, att oci.Signature, c byte) oci.Signature {
	p, _ := att.Payload()
	i := bytes.IndexByte(p, c)
	if i < 0 {
		t.Fatalf("no %q in %s", c, p)
	}
	p = bytes.Clone(p)
	p[i] ^= 0x01
	return attestationLayer(t, p)
}

func attestationLayer(t *testing.T, envelope []byte) oci.Signature {
	att, err := static.NewAttestation(envelope, static.WithLayerMediaType(types.DssePayloadType))
	if err != nil {
		t.Fatal(err)
	}
	return att
}
