package bundle

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	vcosign "github.com/vouchsec/vouch/pkg/cosign"
	"github.com/vouchsec/vouch/pkg/policy"
	"github.com/vouchsec/vouch/pkg/registry"
)

// TestExportOpen exports a bundle as a directory and as a tar file, and
// checks what each holds and that it verifies with no network, against
// the bundled policy read from the bundle.
func TestExportOpen(t *testing.T) {
	f := newFixture(t, true)
	out := t.TempDir()
	for _, name := range []string{"b", "b.tar"} {
		t.Run(name, func(t *testing.T) {
			res := f.export(t, filepath.Join(out, name), true)
			if res.Report == nil || !res.Report.Passed {
				t.Fatalf("verification at export: %+v", res.Report)
			}
			if len(res.CRLs) != 2 || len(res.MissingCRLs) != 0 {
				t.Errorf("CRLs %v, missing %v: want the intermediate's and the root's", res.CRLs, res.MissingCRLs)
			}
			b, err := Open(res.Output, OpenOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			var kinds []Kind
			for _, e := range b.Entries() {
				kinds = append(kinds, e.Kind)
			}
			want := []Kind{KindImage, KindCosignSignatures, KindReferrer, KindCRL, KindPolicy, KindTrust, KindReport}
			if !slices.Equal(kinds, want) {
				t.Errorf("entries %v, want %v", kinds, want)
			}
			if b.Image() != f.image || b.HasLayers() {
				t.Errorf("image %s (layers %v), want %s without layers", b.Image(), b.HasLayers(), f.image)
			}
			pol := bundledPolicy(t, b)
			if r := verifyOffline(t, b, pol); !r.Passed() {
				t.Errorf("offline verification: %s %s %+v", r.Status, r.Error, r.Policies)
			}
			if rep, err := b.Report(); err != nil || !rep.Passed {
				t.Errorf("bundled report: %+v, %v", rep, err)
			}
		})
	}
}

// bundledPolicy loads the bundle's policy and checks that its files are
// the bundled copies.
func bundledPolicy(t *testing.T, b *Bundle) *policy.Policy {
	t.Helper()
	path, err := b.Policy()
	if err != nil {
		t.Fatal(err)
	}
	pol, err := policy.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(filepath.Dir(path))
	for _, s := range pol.Signers {
		for _, file := range []string{keyFile(s), storeFile(s)} {
			if file != "" && !within(dir, file) {
				t.Errorf("signer %s reads %s, outside the laid-out bundle %s", s.Name, file, dir)
			}
		}
	}
	return pol
}

func keyFile(s *policy.Signer) string {
	if s.Cosign != nil {
		return s.Cosign.KeyFile
	}
	return ""
}

func storeFile(s *policy.Signer) string {
	if s.Notation != nil {
		return s.Notation.TrustStoreFile
	}
	return ""
}

// TestOfflineTransports checks that the offline transports answer only
// from the bundle.
func TestOfflineTransports(t *testing.T) {
	f := newFixture(t, false)
	res := f.export(t, filepath.Join(t.TempDir(), "b"), false)
	b, err := Open(res.Output, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	client := b.RevocationClient()
	resp, err := client.Get(res.CRLs[0])
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK || len(body) == 0 {
		t.Errorf("bundled CRL: %d, %d bytes", resp.StatusCode, len(body))
	}
	for _, rt := range []http.RoundTripper{client.Transport, NoNetwork{}} {
		_, err := (&http.Client{Transport: rt}).Get("http://ocsp.example/")
		if !errors.Is(err, ErrOffline) {
			t.Errorf("a request the bundle cannot answer: %v, want ErrOffline", err)
		}
	}
	if got := b.Refused(); !slices.Equal(got, []string{"http://ocsp.example/"}) {
		t.Errorf("refused %v", got)
	}
	// The bundle answers for its repository only.
	reg := registry.New(registry.WithTransport(NoNetwork{}), registry.WithLayout(b.Layout()))
	if _, _, err := reg.Resolve(context.Background(), f.host+"/other/app:1.0.0"); err == nil {
		t.Error("the bundle answered for another repository")
	}
	if _, _, err := reg.Resolve(context.Background(), "registry.example/app:1"); !errors.Is(err, ErrOffline) {
		t.Errorf("a request to another registry: %v, want ErrOffline", err)
	}
}

// TestFlippedByte flips one byte of each blob of a bundle in turn: every
// one must make Open refuse the bundle, naming the blob, in a directory
// and in a tar file alike.
func TestFlippedByte(t *testing.T) {
	f := newFixture(t, true)
	src := f.export(t, filepath.Join(t.TempDir(), "b"), true).Output
	blobs, err := filepath.Glob(filepath.Join(src, "blobs", "sha256", "*"))
	if err != nil || len(blobs) < 10 {
		t.Fatalf("%d blobs, %v", len(blobs), err)
	}
	for _, blob := range blobs {
		hex := filepath.Base(blob)
		dir := filepath.Join(t.TempDir(), "b")
		copyDir(t, src, dir)
		p := filepath.Join(dir, "blobs", "sha256", hex)
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		data[len(data)/2] ^= 0x20
		write(t, p, data)
		tarFile := dir + ".tar"
		writeTarFile(t, dir, tarFile)
		for _, bundle := range []string{dir, tarFile} {
			b, err := Open(bundle, OpenOptions{})
			if err == nil {
				b.Close()
				t.Errorf("%s with blob %s flipped: opened", filepath.Base(bundle), hex[:12])
				continue
			}
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), hex) {
				t.Errorf("%s with blob %s flipped: %v, want ErrCorrupt naming it", filepath.Base(bundle), hex[:12], err)
			}
		}
	}
}

func writeTarFile(t *testing.T, dir, file string) {
	t.Helper()
	var buf bytes.Buffer
	if err := writeTar(&buf, dir, timeZero); err != nil {
		t.Fatal(err)
	}
	write(t, file, buf.Bytes())
}

// TestMissingBlob checks that a bundle missing a blob is refused naming
// it.
func TestMissingBlob(t *testing.T) {
	f := newFixture(t, false)
	src := f.export(t, filepath.Join(t.TempDir(), "b"), false).Output
	b, err := Open(src, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	var victim v1.Hash
	for _, e := range b.Entries() {
		if e.Kind == KindCosignSignatures {
			victim = e.Descriptor.Digest
		}
	}
	if err := os.Remove(filepath.Join(src, "blobs", "sha256", victim.Hex)); err != nil {
		t.Fatal(err)
	}
	_, err = Open(src, OpenOptions{})
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), victim.String()) ||
		!strings.Contains(err.Error(), "missing") {
		t.Fatalf("Open: %v, want ErrCorrupt saying %s is missing", err, victim)
	}
}

// TestEvidenceOfAnotherImage checks that a bundle is refused when its
// evidence is about another image than the one it names.
func TestEvidenceOfAnotherImage(t *testing.T) {
	f := newFixture(t, true)
	out := t.TempDir()
	src := f.export(t, filepath.Join(out, "a"), false).Output
	other := f.pushVariant(t)
	otherSrc, err := Export(context.Background(), f.client, other, ExportOptions{Output: filepath.Join(out, "b")})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		edit func(t *testing.T, dir string, idx *v1.IndexManifest)
	}{
		{"image swapped for another", func(t *testing.T, dir string, idx *v1.IndexManifest) {
			copyDir(t, filepath.Join(otherSrc.Output, "blobs"), filepath.Join(dir, "blobs"))
			for i, d := range idx.Manifests {
				if d.Annotations[AnnotationKind] == string(KindImage) {
					idx.Manifests[i].Digest, _ = v1.NewHash(other.DigestStr())
					idx.Manifests[i].Size = otherSrc.Entries[0].Descriptor.Size
					// As a careful forger would, lest the recorded
					// reference give the swap away.
					delete(idx.Manifests[i].Annotations, AnnotationReference)
				}
			}
		}},
		{"signature tag of another image", func(t *testing.T, dir string, idx *v1.IndexManifest) {
			for i, d := range idx.Manifests {
				if d.Annotations[AnnotationKind] == string(KindCosignSignatures) {
					idx.Manifests[i].Annotations[annotationRefName] =
						"sha256-" + strings.TrimPrefix(other.DigestStr(), "sha256:") + ".sig"
				}
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "b")
			copyDir(t, src, dir)
			editIndex(t, dir, func(idx *v1.IndexManifest) { tc.edit(t, dir, idx) })
			_, err := Open(dir, OpenOptions{})
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "belongs to") {
				t.Fatalf("Open: %v, want ErrCorrupt saying the evidence belongs to another image", err)
			}
		})
	}
}

// TestIndexAnnotationsRefused checks that index.json entries whose
// annotations a bundle never writes are refused: an unknown kind, an
// entry listed twice, a referrer without its subject, and a recorded
// reference in another repository or with another tag than the image's.
func TestIndexAnnotationsRefused(t *testing.T) {
	f := newFixture(t, true)
	src := f.export(t, filepath.Join(t.TempDir(), "a"), false).Output
	onKind := func(kind Kind, edit func(ann map[string]string)) func(*v1.IndexManifest) {
		return func(idx *v1.IndexManifest) {
			for _, d := range idx.Manifests {
				if Kind(d.Annotations[AnnotationKind]) == kind {
					edit(d.Annotations)
					return
				}
			}
			t.Fatalf("no %s entry", kind)
		}
	}
	tests := []struct {
		name string
		edit func(*v1.IndexManifest)
		want string
	}{
		{"unknown kind", onKind(KindCosignSignatures, func(a map[string]string) {
			a[AnnotationKind] = "bogus"
		}), "no kind of entry"},
		{"entry listed twice", func(idx *v1.IndexManifest) {
			for _, d := range idx.Manifests {
				if Kind(d.Annotations[AnnotationKind]) == KindCosignSignatures {
					idx.Manifests = append(idx.Manifests, d)
					return
				}
			}
		}, "twice"},
		{"referrer without subject", onKind(KindReferrer, func(a map[string]string) {
			delete(a, AnnotationSubject)
		}), "without its"},
		{"reference in another repository", onKind(KindImage, func(a map[string]string) {
			a[AnnotationReference] = "docker.io/library/nginx:latest"
		}), "another repository"},
		{"reference with another tag", onKind(KindImage, func(a map[string]string) {
			a[AnnotationReference] = a[AnnotationRepository] + ":latest"
		}), "names tag"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "b")
			copyDir(t, src, dir)
			editIndex(t, dir, tc.edit)
			_, err := Open(dir, OpenOptions{})
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Open: %v, want ErrCorrupt saying %q", err, tc.want)
			}
		})
	}
}

// TestAbsolutePolicyPath bundles a policy that names its key by an
// absolute path: the bundled policy is rewritten to name the bundled copy,
// and the policy as given is kept beside it.
func TestAbsolutePolicyPath(t *testing.T) {
	f := newFixture(t, false)
	key := filepath.Join(f.dir, "keys", "release.pub")
	pol := filepath.Join(f.dir, "abs.yaml")
	text := "version: v1\nsigners:\n  # the release key\n  release: {cosign: {key: " + key + "}}\n" +
		"policies:\n  - {name: p, scope: [\"**\"], signatures: {anyOf: [release]}}\n"
	write(t, pol, []byte(text))
	p, err := policy.Load(pol)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "b.tar")
	if _, err := Export(context.Background(), f.client, f.image, ExportOptions{Output: out, Policy: p}); err != nil {
		t.Fatal(err)
	}
	b, err := Open(out, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	bundled := bundledPolicy(t, b)
	if r := verifyOffline(t, b, bundled); !r.Passed() {
		t.Errorf("offline verification with the rewritten policy: %s %+v", r.Status, r.Policies)
	}
	laidOut, err := os.ReadFile(bundled.Path)
	if err != nil || !strings.Contains(string(laidOut), "# the release key") {
		t.Errorf("the rewritten policy lost its comment:\n%s", laidOut)
	}
	original, err := os.ReadFile(filepath.Join(filepath.Dir(bundled.Path), "original", "abs.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if string(original) != text {
		t.Errorf("the original policy is not kept as given:\n%s", original)
	}
}

// TestFailedExport checks that an export that fails leaves nothing
// behind.
func TestFailedExport(t *testing.T) {
	f := newFixture(t, false)
	missing := f.image.Context().Digest("sha256:" + strings.Repeat("0", 64))
	out := t.TempDir()
	for _, name := range []string{"b", "b.tar"} {
		if _, err := Export(context.Background(), f.client, missing,
			ExportOptions{Output: filepath.Join(out, name)}); !errors.Is(err, registry.ErrNotFound) {
			t.Errorf("export of a missing image: %v, want ErrNotFound", err)
		}
	}
	if left, _ := os.ReadDir(out); len(left) != 0 {
		t.Errorf("a failed export left %v", left)
	}
}

// TestImportIntoOrigin imports a bundle back into the registry and the
// repository it came from, and into another, and verifies there.
func TestImportIntoOrigin(t *testing.T) {
	f := newFixture(t, false)
	src := f.export(t, filepath.Join(t.TempDir(), "b.tar"), false).Output
	b, err := Open(src, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	srcLayout, err := b.Source()
	if err != nil {
		t.Fatal(err)
	}
	reg := registry.New(registry.WithLayout(srcLayout))
	for _, dst := range []string{f.host + "/staging/app", f.host + "/prod/app:1.0.0"} {
		res, err := Import(context.Background(), reg, b, dst, ImportOptions{})
		if err != nil {
			t.Fatalf("import into %s: %v", dst, err)
		}
		if len(res.Steps) == 0 {
			t.Errorf("import into %s: no steps", dst)
		}
	}
	// A client that does not serve the bundle is refused.
	if _, err := Import(context.Background(), registry.New(), b, f.host+"/x/app", ImportOptions{}); err == nil {
		t.Error("import through a client without the bundle's layout succeeded")
	}
	prod, _ := name.NewDigest(f.host + "/prod/app@" + f.image.DigestStr())
	ev, err := vcosign.Fetch(context.Background(), prod, f.client.RemoteOptions(context.Background()))
	if err != nil || len(ev.Signatures) != 1 {
		t.Errorf("imported image has %d cosign signatures (%v), want 1", len(ev.Signatures), err)
	}
	refs, err := f.client.Referrers(context.Background(), prod, "")
	if err != nil || len(refs) != 1 {
		t.Errorf("imported image has %d referrers (%v), want the notation signature", len(refs), err)
	}
}

// TestUnsafeTar checks that Open refuses tar files that are not plain
// layouts, and leaves nothing behind.
func TestUnsafeTar(t *testing.T) {
	good := []tarEntry{
		{name: "oci-layout", body: `{"imageLayoutVersion":"1.0.0"}`},
		{name: "index.json", body: `{"schemaVersion":2,"manifests":[]}`},
	}
	blob := tarEntry{name: "blobs/sha256/" + strings.Repeat("0", 64), body: "x"}
	tests := []struct {
		name    string
		entries []tarEntry
		limits  Limits
		want    string
	}{
		{"parent directory", append(good, tarEntry{name: "../evil", body: "x"}), Limits{}, "not a clean path"},
		{"inner parent directory", append(good, tarEntry{name: "blobs/../../evil", body: "x"}), Limits{}, "not a clean path"},
		{"absolute path", append(good, tarEntry{name: "/etc/evil", body: "x"}), Limits{}, "not a relative"},
		{"symbolic link", append(good, tarEntry{name: "blobs/sha256/" + strings.Repeat("a", 64),
			typ: tar.TypeSymlink, link: "/etc/passwd"}), Limits{}, "is a link"},
		{"hard link", append(good, tarEntry{name: "blobs/sha256/" + strings.Repeat("a", 64),
			typ: tar.TypeLink, link: "index.json"}), Limits{}, "is a link"},
		{"device", append(good, tarEntry{name: "blobs/sha256/" + strings.Repeat("a", 64),
			typ: tar.TypeChar}), Limits{}, "plain files and directories only"},
		{"fifo", append(good, tarEntry{name: "blobs/sha256/" + strings.Repeat("c", 64),
			typ: tar.TypeFifo}), Limits{}, "plain files"},
		{"unknown file", append(good, tarEntry{name: "run.sh", body: "x"}), Limits{}, "not part of an OCI image layout"},
		{"twice", append(good, good[1]), Limits{}, "appears twice"},
		{"oversized entry", append(good, tarEntry{name: "blobs/sha256/" + strings.Repeat("b", 64),
			body: strings.Repeat("x", 2048)}), Limits{MaxEntrySize: 1024}, "is 2048 bytes, limit 1024"},
		{"too large in all", append(good,
			blobEntry(strings.Repeat("x", 1000)), blobEntry(strings.Repeat("y", 1000))),
			Limits{MaxSize: 1500}, "more than 1500 bytes"},
		{"too many entries", append(good, blob), Limits{MaxEntries: 2}, "more than 2 entries"},
		{"blob that does not match its digest", append(good, blob), Limits{}, "does not match its digest"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tmp := t.TempDir()
			t.Setenv("TMPDIR", tmp)
			file := filepath.Join(t.TempDir(), "evil.tar")
			write(t, file, makeTar(t, tc.entries))
			b, err := Open(file, OpenOptions{Limits: tc.limits})
			if err == nil {
				b.Close()
				t.Fatal("opened")
			}
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Open: %v, want ErrCorrupt with %q", err, tc.want)
			}
			if left, _ := os.ReadDir(tmp); len(left) != 0 {
				t.Errorf("a refused bundle left %v in the temporary directory", left)
			}
			if _, err := os.Lstat("/etc/evil"); err == nil {
				t.Error("/etc/evil was written")
			}
		})
	}
}

// blobEntry is the blob entry of body, named by its digest.
func blobEntry(body string) tarEntry {
	sum := sha256.Sum256([]byte(body))
	return tarEntry{name: "blobs/sha256/" + hex.EncodeToString(sum[:]), body: body}
}

type tarEntry struct {
	name, body, link string
	typ              byte
}

func makeTar(t testing.TB, entries []tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		typ := e.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		hdr := &tar.Header{Name: e.name, Typeflag: typ, Linkname: e.link, Mode: 0o644}
		if typ == tar.TypeReg {
			hdr.Size = int64(len(e.body))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
