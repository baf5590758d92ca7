package cosign

import (
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
)

func TestFetchAbsentTags(t *testing.T) {
	reg := newRegistry(t)
	d := reg.push(t, "app")
	reg.reset()
	ev := fetch(t, d)
	if ev.Digest != d {
		t.Errorf("Digest = %s, want %s", ev.Digest, d)
	}
	if len(ev.Signatures) != 0 || len(ev.Attestations) != 0 {
		t.Errorf("unsigned image has %d signatures, %d attestations",
			len(ev.Signatures), len(ev.Attestations))
	}
	if ev.SigManifest != nil || ev.AttManifest != nil {
		t.Errorf("absent tags have descriptors %v, %v", ev.SigManifest, ev.AttManifest)
	}
	if n := reg.count("GET manifest"); n != 2 {
		t.Errorf("Fetch made %d manifest GETs, want 2", n)
	}
	if n := reg.count("GET blob"); n != 0 {
		t.Errorf("Fetch made %d blob GETs, want 0", n)
	}
}

// TestFetchRequests checks Fetch's request budget (one manifest GET per tag,
// one blob GET per layer) and that verifying what it fetched needs no more.
func TestFetchRequests(t *testing.T) {
	reg := newRegistry(t)
	d := reg.push(t, "app")
	k1, k2 := newKey(t), newKey(t)
	ctx := testContext(t)
	for _, k := range []*testKey{k1, k2} {
		if _, err := Sign(ctx, d, k.sv, nil); err != nil {
			t.Fatal(err)
		}
	}
	st := statementFor(t, d, predicateSPDX, "testdata/policy-controller.example.spdx.json")
	if _, err := Attest(ctx, d, k1.sv, st, predicateSPDX, nil); err != nil {
		t.Fatal(err)
	}

	reg.reset()
	ev := fetch(t, d)
	if len(ev.Signatures) != 2 || len(ev.Attestations) != 1 {
		t.Fatalf("evidence has %d signatures, %d attestations; want 2, 1",
			len(ev.Signatures), len(ev.Attestations))
	}
	if n := reg.count("GET manifest"); n != 2 {
		t.Errorf("Fetch made %d manifest GETs, want 2", n)
	}
	if n := reg.count("GET blob"); n != 3 {
		t.Errorf("Fetch made %d blob GETs, want 3 (one per layer)", n)
	}
	if n := reg.count("HEAD manifest") + reg.count("HEAD blob"); n != 0 {
		t.Errorf("Fetch made %d HEAD requests, want 0", n)
	}
	sigTag, err := ociremote.SignatureTag(d)
	assertDescribes(t, ev.SigManifest, sigTag, err)
	attTag, err := ociremote.AttestationTag(d)
	assertDescribes(t, ev.AttManifest, attTag, err)

	reg.reset()
	h := hashOf(t, d)
	for i, k := range []*testKey{k1, k2} {
		if err := VerifySignature(ctx, ev.Signatures[i], h, k.pub); err != nil {
			t.Errorf("signature %d: %v", i, err)
		}
		// Each signature is refused by the other key.
		if err := VerifySignature(ctx, ev.Signatures[1-i], h, k.pub); err == nil {
			t.Errorf("signature %d verifies with the other key", 1-i)
		}
	}
	if _, err := VerifyAttestation(ctx, ev.Attestations[0], h, k1.pub); err != nil {
		t.Errorf("attestation: %v", err)
	}
	if n := reg.count("GET manifest") + reg.count("GET blob"); n != 0 {
		t.Errorf("verifying fetched evidence made %d registry requests, want 0", n)
	}
}

// assertDescribes checks that desc is the descriptor of the manifest the
// registry serves under tag.
func assertDescribes(t *testing.T, desc *v1.Descriptor, tag name.Tag, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	want, err := remote.Head(tag)
	if err != nil {
		t.Fatal(err)
	}
	if desc == nil || desc.Digest != want.Digest || desc.Size != want.Size ||
		desc.MediaType != want.MediaType {
		t.Errorf("%s: descriptor %+v, registry serves %+v", tag, desc, want)
	}
}
