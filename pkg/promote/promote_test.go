package promote_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/vouchsec/vouch/internal/testreg"
	vcosign "github.com/vouchsec/vouch/pkg/cosign"
	"github.com/vouchsec/vouch/pkg/policy"
	"github.com/vouchsec/vouch/pkg/promote"
	"github.com/vouchsec/vouch/pkg/registry"
	"github.com/vouchsec/vouch/verify"
)

// signer makes a key pair in dir and returns the signer and the public
// key's path.
func signer(t *testing.T, dir, n string) (signature.SignerVerifier, string) {
	t.Helper()
	priv, pub, err := vcosign.GenerateKeyPair([]byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, n+".pub")
	if err := os.WriteFile(p, pub, 0o644); err != nil {
		t.Fatal(err)
	}
	sv, err := vcosign.LoadPrivateKey(priv, []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	return sv, p
}

func options(t *testing.T, reg *registry.Client, polText string) promote.Options {
	t.Helper()
	p, err := policy.Parse(filepath.Join(t.TempDir(), "trust.yaml"), []byte(polText))
	if err != nil {
		t.Fatal(err)
	}
	return promote.Options{Registry: reg, Verify: verify.Options{
		Policy: p, Resolver: reg,
		Backends: []verify.Backend{verify.NewCosignBackend(reg.RemoteOptions(context.Background()))},
	}}
}

// TestMergeKeepsDestinationSignatures promotes into a repository whose
// signature tag already holds another signer's signature: both must be
// there afterwards.
func TestMergeKeepsDestinationSignatures(t *testing.T) {
	ctx := context.Background()
	host := testreg.GGCR(t, false)
	dir := t.TempDir()
	release, releasePub := signer(t, dir, "release")
	other, _ := signer(t, dir, "other")
	h := testreg.PushSample(t, host, "staging/app", "1.0.0")
	testreg.PushSample(t, host, "prod/app", "old")
	reg := registry.New()
	src, _ := name.NewDigest(host + "/staging/app@" + h.String())
	dstD, _ := name.NewDigest(host + "/prod/app@" + h.String())
	ropts := reg.RemoteOptions(ctx)
	if _, err := vcosign.Sign(ctx, src, release, ropts); err != nil {
		t.Fatal(err)
	}
	if _, err := vcosign.Sign(ctx, dstD, other, ropts); err != nil {
		t.Fatal(err)
	}
	opts := options(t, reg, `version: v1
signers:
  release: {cosign: {key: `+releasePub+`}}
policies:
  - name: p
    scope: ["**"]
    signatures: {anyOf: [release]}
`)
	res, err := promote.Promote(ctx, src.String(), host+"/prod/app:1.0.0", opts)
	if err != nil {
		t.Fatal(err)
	}
	merged := false
	for _, s := range res.Steps {
		merged = merged || s.Action == promote.Merged
	}
	if !merged {
		t.Errorf("steps %+v: want the signatures merged", res.Steps)
	}
	ev, err := vcosign.Fetch(ctx, dstD, ropts)
	if err != nil {
		t.Fatal(err)
	}
	if len(ev.Signatures) != 2 {
		t.Fatalf("destination has %d signatures, want both (2)", len(ev.Signatures))
	}
	// And promoting again merges nothing more.
	res, err = promote.Promote(ctx, src.String(), host+"/prod/app:1.0.0", opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range res.Steps {
		if s.Action != promote.Present {
			t.Errorf("second run: %s %s", s.What, s.Action)
		}
	}
}

// TestRefused checks the error and that nothing is written.
func TestRefused(t *testing.T) {
	ctx := context.Background()
	host, counter := testreg.GGCRCounted(t, true)
	dir := t.TempDir()
	_, releasePub := signer(t, dir, "release")
	h := testreg.PushSample(t, host, "staging/app", "1.0.0")
	reg := registry.New()
	opts := options(t, reg, `version: v1
signers:
  release: {cosign: {key: `+releasePub+`}}
policies:
  - name: p
    scope: ["**"]
    signatures: {anyOf: [release]}
`)
	counter.Reset()
	res, err := promote.Promote(ctx, host+"/staging/app@"+h.String(), host+"/prod/app:1.0.0", opts)
	if !errors.Is(err, promote.ErrRefused) {
		t.Fatalf("err = %v, want ErrRefused", err)
	}
	if res == nil || res.Verified.Passed() || len(res.Steps) != 0 {
		t.Fatalf("refused promotion result: %+v", res)
	}
	if w := counter.Writes(); w != 0 {
		t.Errorf("a refused promotion made %d write requests", w)
	}
}

func TestDestinationErrors(t *testing.T) {
	ctx := context.Background()
	host := testreg.GGCR(t, false)
	dir := t.TempDir()
	_, releasePub := signer(t, dir, "release")
	h := testreg.PushSample(t, host, "staging/app", "1.0.0")
	reg := registry.New()
	opts := options(t, reg, `version: v1
signers:
  release: {cosign: {key: `+releasePub+`}}
policies:
  - name: p
    scope: ["**"]
    signatures: {anyOf: [release]}
`)
	_, err := promote.Promote(ctx, host+"/staging/app:1.0.0", host+"/prod/app@"+h.String(), opts)
	if err == nil {
		t.Fatal("a digest destination was accepted")
	}
}
