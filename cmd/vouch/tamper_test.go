package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	gmutate "github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/cosign/v2/pkg/oci"
	"github.com/sigstore/cosign/v2/pkg/oci/empty"
	"github.com/sigstore/cosign/v2/pkg/oci/mutate"
	"github.com/sigstore/cosign/v2/pkg/oci/static"

	vcosign "github.com/vouchsec/vouch/pkg/cosign"
	"github.com/vouchsec/vouch/pkg/registry"
)

// item is one stored signature or attestation, as an attacker with write
// access to the registry sees it.
type item struct {
	payload []byte
	b64sig  string
	ann     map[string]string
}

// rewrite replaces the .sig or .att list of img with edited items.
func (h *harness) rewrite(img, suffix string, edit func(*item)) {
	h.t.Helper()
	ctx := context.Background()
	d, err := name.NewDigest(img)
	if err != nil {
		h.t.Fatal(err)
	}
	ropts := registry.New().RemoteOptions(ctx)
	ev, err := vcosign.Fetch(ctx, d, ropts)
	if err != nil {
		h.t.Fatal(err)
	}
	list := ev.Signatures
	if suffix == ".att" {
		list = ev.Attestations
	}
	if len(list) == 0 {
		h.t.Fatalf("no %s items to rewrite on %s", suffix, img)
	}
	var out []oci.Signature
	for _, s := range list {
		out = append(out, h.edited(s, edit))
	}
	sigs, err := mutate.AppendSignatures(empty.Signatures(), false, out...)
	if err != nil {
		h.t.Fatal(err)
	}
	hash, _ := v1.NewHash(d.DigestStr())
	tag := d.Context().Tag(hash.Algorithm + "-" + hash.Hex + suffix)
	if err := remote.Write(tag, sigs, ropts...); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) edited(s oci.Signature, edit func(*item)) oci.Signature {
	h.t.Helper()
	it := item{ann: map[string]string{}}
	var err error
	if it.payload, err = s.Payload(); err != nil {
		h.t.Fatal(err)
	}
	if it.b64sig, err = s.Base64Signature(); err != nil {
		h.t.Fatal(err)
	}
	ann, err := s.Annotations()
	if err != nil {
		h.t.Fatal(err)
	}
	for k, v := range ann {
		if k != static.SignatureAnnotationKey {
			it.ann[k] = v
		}
	}
	mt, err := s.MediaType()
	if err != nil {
		h.t.Fatal(err)
	}
	edit(&it)
	ns, err := static.NewSignature(it.payload, it.b64sig,
		static.WithLayerMediaType(mt), static.WithAnnotations(it.ann))
	if err != nil {
		h.t.Fatal(err)
	}
	return ns
}

// flipSignature flips one bit of the raw signature.
func flipSignature(it *item) {
	raw, _ := base64.StdEncoding.DecodeString(it.b64sig)
	raw[len(raw)/2] ^= 0x01
	it.b64sig = base64.StdEncoding.EncodeToString(raw)
}

// flipPayload flips one bit inside the signed payload's digest field so
// the payload stays valid JSON.
func flipPayload(it *item) {
	i := len(it.payload) / 2
	for ; i < len(it.payload); i++ {
		if c := it.payload[i]; c >= 'a' && c <= 'f' {
			it.payload[i] ^= 0x01 // a<->`, b<->c ... stays printable
			return
		}
	}
}

// flipEnvelope flips one byte of the statement inside a DSSE envelope,
// keeping the envelope well-formed.
func flipEnvelope(t *testing.T) func(*item) {
	return func(it *item) {
		var env map[string]any
		if err := json.Unmarshal(it.payload, &env); err != nil {
			t.Fatalf("envelope: %v", err)
		}
		body, _ := base64.StdEncoding.DecodeString(env["payload"].(string))
		body[len(body)/2] ^= 0x01
		env["payload"] = base64.StdEncoding.EncodeToString(body)
		it.payload, _ = json.Marshal(env)
	}
}

// pushVariant pushes a changed copy of img, with a new digest and no
// evidence, and returns its digest reference.
func (h *harness) pushVariant(img string) string {
	h.t.Helper()
	ctx := context.Background()
	ropts := registry.New().RemoteOptions(ctx)
	src, err := name.NewDigest(img)
	if err != nil {
		h.t.Fatal(err)
	}
	idx, err := remote.Index(src, ropts...)
	if err != nil {
		h.t.Fatal(err)
	}
	changed := gmutate.Annotations(idx, map[string]string{"tampered": "yes"}).(v1.ImageIndex)
	nh, err := changed.Digest()
	if err != nil {
		h.t.Fatal(err)
	}
	if err := remote.WriteIndex(src.Context().Tag("variant"), changed, ropts...); err != nil {
		h.t.Fatal(err)
	}
	return src.Context().Digest(nh.String()).String()
}

// copyEvidence copies the .sig or .att manifest of from to the matching
// tag of to, as an attacker with write access could.
func (h *harness) copyEvidence(from, to, suffix string) {
	h.t.Helper()
	ropts := registry.New().RemoteOptions(context.Background())
	tagOf := func(ref string) name.Tag {
		d, err := name.NewDigest(ref)
		if err != nil {
			h.t.Fatal(err)
		}
		hash, _ := v1.NewHash(d.DigestStr())
		return d.Context().Tag(hash.Algorithm + "-" + hash.Hex + suffix)
	}
	img, err := remote.Image(tagOf(from), ropts...)
	if err != nil {
		h.t.Fatal(err)
	}
	if err := remote.Write(tagOf(to), img, ropts...); err != nil {
		h.t.Fatal(err)
	}
}
