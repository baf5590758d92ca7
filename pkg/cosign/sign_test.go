package cosign

import (
	"encoding/json"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/cosign/v2/pkg/types"
	"github.com/sigstore/sigstore/pkg/signature/payload"
)

func TestSignWritesCosignSignature(t *testing.T) {
	reg := newRegistry(t)
	d := reg.push(t, "team/app")
	k := newKey(t)

	written, err := Sign(testContext(t), d, k.sv, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !written {
		t.Fatal("first Sign reported nothing written")
	}
	ev := fetch(t, d)
	if len(ev.Signatures) != 1 || len(ev.Attestations) != 0 {
		t.Fatalf("evidence has %d signatures, %d attestations; want 1, 0",
			len(ev.Signatures), len(ev.Attestations))
	}
	sig := ev.Signatures[0]
	if mt, _ := sig.MediaType(); mt != types.SimpleSigningMediaType {
		t.Errorf("layer media type = %q, want %q", mt, types.SimpleSigningMediaType)
	}
	p, err := sig.Payload()
	if err != nil {
		t.Fatal(err)
	}
	var doc payload.SimpleContainerImage
	if err := json.Unmarshal(p, &doc); err != nil {
		t.Fatalf("payload is not a simple signing document: %v\n%s", err, p)
	}
	if got := doc.Critical.Image.DockerManifestDigest; got != d.DigestStr() {
		t.Errorf("docker-manifest-digest = %q, want %q", got, d.DigestStr())
	}
	if got, want := doc.Critical.Identity.DockerReference, d.Context().Name(); got != want {
		t.Errorf("docker-reference = %q, want %q", got, want)
	}
	if doc.Critical.Type != payload.CosignSignatureType {
		t.Errorf("type = %q, want %q", doc.Critical.Type, payload.CosignSignatureType)
	}
	if err := VerifySignature(testContext(t), sig, hashOf(t, d), k.pub); err != nil {
		t.Errorf("VerifySignature of what Sign wrote: %v", err)
	}
	if ev.SigManifest == nil || ev.AttManifest != nil {
		t.Errorf("SigManifest = %v, AttManifest = %v; want set, nil", ev.SigManifest, ev.AttManifest)
	}
}

func TestSignTwiceWritesOnce(t *testing.T) {
	reg := newRegistry(t)
	d := reg.push(t, "app")
	k := newKey(t)
	ctx := testContext(t)

	if written, err := Sign(ctx, d, k.sv, nil); err != nil || !written {
		t.Fatalf("first Sign = %v, %v; want true, nil", written, err)
	}
	before := fetch(t, d).SigManifest

	reg.reset()
	written, err := Sign(ctx, d, k.sv, nil)
	if err != nil {
		t.Fatal(err)
	}
	if written {
		t.Error("second Sign with the same key reported a write")
	}
	if n := reg.writes(); n != 0 {
		t.Errorf("second Sign made %d write requests, want 0", n)
	}
	after := fetch(t, d)
	if len(after.Signatures) != 1 {
		t.Errorf("after signing twice the tag holds %d signatures, want 1", len(after.Signatures))
	}
	if after.SigManifest.Digest != before.Digest {
		t.Errorf("signature manifest changed from %s to %s", before.Digest, after.SigManifest.Digest)
	}

	// Another key's signature is not a duplicate: it is appended.
	other := newKey(t)
	if written, err := Sign(ctx, d, other.sv, nil); err != nil || !written {
		t.Fatalf("Sign with a second key = %v, %v; want true, nil", written, err)
	}
	ev := fetch(t, d)
	if len(ev.Signatures) != 2 {
		t.Fatalf("tag holds %d signatures after a second key signed, want 2", len(ev.Signatures))
	}
	h := hashOf(t, d)
	if err := VerifySignature(ctx, ev.Signatures[0], h, k.pub); err != nil {
		t.Errorf("first key's signature no longer verifies: %v", err)
	}
	if err := VerifySignature(ctx, ev.Signatures[1], h, other.pub); err != nil {
		t.Errorf("second key's signature does not verify: %v", err)
	}
}

func TestSignRegistryErrors(t *testing.T) {
	reg := newRegistry(t)
	d := reg.push(t, "app")
	k := newKey(t)
	if _, err := Sign(testContext(t), d, nil, nil); err == nil {
		t.Error("Sign with no signer succeeded")
	}
	// A registry that needs what the options do not give: an unreachable
	// transport stands in for a registry that refuses us.
	ropts := []remote.Option{remote.WithTransport(failingTransport{})}
	if _, err := Sign(testContext(t), d, k.sv, ropts); err == nil {
		t.Error("Sign through a failing transport succeeded")
	}
}
