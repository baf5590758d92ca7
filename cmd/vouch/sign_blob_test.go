package main

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/vouchsec/vouch/internal/cosigncli"
	"github.com/vouchsec/vouch/internal/testtsa"
)

// blobFixture is a key pair, a file and a trusted root listing the test
// TSA, in one harness.
type blobFixture struct {
	h                  *harness
	tsa                *testtsa.TSA
	file, bundle, root string
}

func newBlobFixture(t *testing.T) *blobFixture {
	t.Helper()
	h := newHarness(t, "")
	h.keys("release", "other")
	tsa := testtsa.Start(t)
	return &blobFixture{h: h, tsa: tsa,
		file:   h.write("app.tar.gz", "release tarball contents\n"),
		bundle: h.path("app.tar.gz.sigstore.json"),
		root:   writeTSATrustedRoot(t, h, tsa)}
}

// writeTSATrustedRoot writes a trusted_root.json whose only entry is the
// test TSA.
func writeTSATrustedRoot(t *testing.T, h *harness, tsa *testtsa.TSA) string {
	t.Helper()
	return h.write("trusted_root.json", string(tsa.TrustedRootJSON(t)))
}

func (f *blobFixture) sign(extra ...string) []string {
	return append([]string{"sign-blob", "--key", f.h.path("keys/release.key"), f.file,
		"--bundle", f.bundle, "--timestamp-url", f.tsa.URL}, extra...)
}

func (f *blobFixture) verify(file, pub string) []string {
	return []string{"verify-blob", file, "--bundle", f.bundle,
		"--key", f.h.path("keys/" + pub + ".pub"), "--trusted-root", f.root}
}

func TestSignBlobRoundTrip(t *testing.T) {
	f := newBlobFixture(t)
	f.h.expect(exitOK, []string{"Signed", f.bundle}, f.sign()...)
	checkBundleFile(t, f.bundle)
	f.h.expect(exitOK, []string{"Verified OK", "signer: the key given", "Timestamp"},
		f.verify(f.file, "release")...)

	t.Run("flipped byte", func(t *testing.T) {
		data, err := os.ReadFile(f.file)
		if err != nil {
			t.Fatal(err)
		}
		data[0] ^= 1
		flipped := f.h.write("flipped.tar.gz", string(data))
		f.h.expect(exitPolicy, []string{"signature check failed"}, f.verify(flipped, "release")...)
	})
	t.Run("wrong public key", func(t *testing.T) {
		f.h.expect(exitPolicy, []string{"signature check failed"}, f.verify(f.file, "other")...)
	})
	t.Run("existing bundle", func(t *testing.T) {
		before, err := os.ReadFile(f.bundle)
		if err != nil {
			t.Fatal(err)
		}
		f.h.expect(exitUsage, []string{"already exists"}, f.sign()...)
		after, err := os.ReadFile(f.bundle)
		if err != nil || string(after) != string(before) {
			t.Errorf("bundle changed (err %v)", err)
		}
	})
}

// checkBundleFile checks the bundle's mode and what it carries: a v0.3
// message signature over SHA-256, a key hint, a timestamp and no log
// entry.
func checkBundleFile(t *testing.T, path string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("bundle mode %v, want 0644", fi.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var b struct {
		MediaType            string
		VerificationMaterial struct {
			PublicKey                 struct{ Hint string }
			TlogEntries               []json.RawMessage
			TimestampVerificationData struct{ Rfc3161Timestamps []json.RawMessage }
		}
		MessageSignature struct {
			MessageDigest struct{ Algorithm string }
		}
	}
	if err := json.Unmarshal(data, &b); err != nil {
		t.Fatal(err)
	}
	vm := b.VerificationMaterial
	switch {
	case b.MediaType != "application/vnd.dev.sigstore.bundle.v0.3+json":
		t.Errorf("media type %q", b.MediaType)
	case b.MessageSignature.MessageDigest.Algorithm != "SHA2_256":
		t.Errorf("digest algorithm %q", b.MessageSignature.MessageDigest.Algorithm)
	case vm.PublicKey.Hint == "":
		t.Error("no public key hint")
	case len(vm.TlogEntries) != 0:
		t.Error("a transparency log entry in a --no-tlog bundle")
	case len(vm.TimestampVerificationData.Rfc3161Timestamps) != 1:
		t.Errorf("%d timestamps, want 1", len(vm.TimestampVerificationData.Rfc3161Timestamps))
	}
}

func TestSignBlobRefusals(t *testing.T) {
	f := newBlobFixture(t)
	t.Run("wrong password", func(t *testing.T) {
		f.h.env["VOUCH_PASSWORD"] = "wrong"
		defer func() { f.h.env["VOUCH_PASSWORD"] = testPassword }()
		f.h.expect(exitUsage, []string{"wrong password"}, f.sign()...)
		if _, err := os.Lstat(f.bundle); err == nil {
			t.Error("a bundle was written")
		}
	})
	t.Run("timestamp authority unreachable", func(t *testing.T) {
		srv := httptest.NewServer(nil)
		srv.Close()
		f.h.expect(exitRegistry, []string{"timestamp authority"},
			"sign-blob", "--key", f.h.path("keys/release.key"), f.file,
			"--bundle", f.bundle, "--timestamp-url", srv.URL)
		if _, err := os.Lstat(f.bundle); err == nil {
			t.Error("a bundle was written")
		}
	})
	t.Run("no key", func(t *testing.T) {
		f.h.expect(exitUsage, []string{"--key is required"},
			"sign-blob", f.file, "--bundle", f.bundle)
	})
	t.Run("no timestamp, no log", func(t *testing.T) {
		f.h.must("sign-blob", "--key", f.h.path("keys/release.key"), f.file, "--bundle", f.bundle)
		defer os.Remove(f.bundle)
		f.h.expect(exitPolicy, []string{"neither a transparency log entry nor a signed timestamp"},
			f.verify(f.file, "release")...)
	})
}

// TestSignBlobCosignVerifies has the cosign CLI from go.mod verify
// vouch's bundle offline: no log, the TSA's timestamp, the same root.
func TestSignBlobCosignVerifies(t *testing.T) {
	f := newBlobFixture(t)
	f.h.must(f.sign()...)
	args := []string{"verify-blob", "--key", f.h.path("keys/release.pub"),
		"--bundle", f.bundle, "--new-bundle-format", "--insecure-ignore-tlog=true",
		"--use-signed-timestamps", "--trusted-root", f.root}
	out, errOut, err := cosigncli.Run(t, nil, append(args, f.file)...)
	if err != nil {
		t.Fatalf("cosign verify-blob: %v\n%s%s", err, out, errOut)
	}
	other := f.h.write("other.tar.gz", "another file\n")
	if _, _, err := cosigncli.Run(t, nil, append(args, other)...); err == nil {
		t.Error("cosign verified the bundle for another file")
	}
}
