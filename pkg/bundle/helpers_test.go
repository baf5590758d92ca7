package bundle

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/vouchsec/vouch/internal/testpki"
	"github.com/vouchsec/vouch/internal/testreg"
	vcosign "github.com/vouchsec/vouch/pkg/cosign"
	vnotation "github.com/vouchsec/vouch/pkg/notation"
	"github.com/vouchsec/vouch/pkg/policy"
	"github.com/vouchsec/vouch/pkg/registry"
	"github.com/vouchsec/vouch/verify"
)

// fixture is an image with a cosign signature and a notation signature
// in a registry, and a policy that requires both.
type fixture struct {
	host   string
	image  name.Digest
	policy *policy.Policy
	client *registry.Client
	dir    string // where the policy and its files are
}

// newFixture pushes the sample image to a registry of t's and signs it.
func newFixture(t *testing.T, referrersAPI bool) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{host: testreg.GGCR(t, referrersAPI), client: registry.New(), dir: t.TempDir()}
	h := testreg.PushSample(t, f.host, "staging/app", "1.0.0")
	f.image, _ = name.NewDigest(f.host + "/staging/app@" + h.String())
	priv, pub, err := vcosign.GenerateKeyPair([]byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	sv, err := vcosign.LoadPrivateKey(priv, []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := vcosign.Sign(ctx, f.image, sv, f.client.RemoteOptions(ctx)); err != nil {
		t.Fatal(err)
	}
	pki := testpki.New(t, testpki.Options{})
	signer, err := vnotation.NewSigner(pki.Key, pki.Chain())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := vnotation.Sign(ctx, f.image, signer, vnotation.SignOptions{}); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(f.dir, "keys", "release.pub"), pub)
	write(t, filepath.Join(f.dir, "trust", "root.crt"), pki.RootPEM())
	pol := filepath.Join(f.dir, "policies", "policy.yaml")
	write(t, pol, []byte(`version: v1
signers:
  release: {cosign: {key: ../keys/release.pub}}
  notary:
    notation:
      trustStore: ../trust
      identities: ["x509.subject: C=US, ST=WA, O=vouch test"]
policies:
  - name: p
    scope: ["*/staging/**"]
    signatures: {allOf: [release, notary]}
`))
	if f.policy, err = policy.Load(pol); err != nil {
		t.Fatal(err)
	}
	return f
}

func write(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// export writes a bundle of f's image to out.
func (f *fixture) export(t *testing.T, out string, withPolicy bool) *ExportResult {
	t.Helper()
	opts := ExportOptions{Output: out}
	if withPolicy {
		opts.Policy = f.policy
	}
	res, err := Export(context.Background(), f.client, f.image, opts)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// pushVariant pushes a copy of the sample image with another digest.
func (f *fixture) pushVariant(t *testing.T) name.Digest {
	t.Helper()
	idx := mutate.Annotations(testreg.SampleIndex(t), map[string]string{"variant": "b"}).(v1.ImageIndex)
	h, err := idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	d, _ := name.NewDigest(f.host + "/staging/app@" + h.String())
	if err := remote.WriteIndex(d, idx); err != nil {
		t.Fatal(err)
	}
	return d
}

// verifyOffline verifies b's image against pol with no network.
func verifyOffline(t *testing.T, b *Bundle, pol *policy.Policy) *verify.ImageResult {
	t.Helper()
	reg := registry.New(registry.WithTransport(NoNetwork{}), registry.WithLayout(b.Layout()))
	return verify.Digest(context.Background(), b.Image(), verify.Options{
		Policy:   pol,
		Resolver: reg,
		Backends: []verify.Backend{
			verify.NewCosignBackend(reg.RemoteOptions(context.Background())),
			verify.NewNotationBackend(vnotation.RegistryOptions{Transport: reg.Transport()},
				vnotation.VerifyOptions{RevocationHTTPClient: b.RevocationClient()}),
		},
	})
}

// copyDir copies the regular files under from to to.
func copyDir(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// editIndex rewrites a bundle directory's index.json with edit.
func editIndex(t *testing.T, dir string, edit func(*v1.IndexManifest)) {
	t.Helper()
	p := filepath.Join(dir, "index.json")
	raw, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := v1.ParseIndexManifest(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	edit(idx)
	if raw, err = json.Marshal(idx); err != nil {
		t.Fatal(err)
	}
	write(t, p, raw)
}

// timeZero is the modification time of the tar files tests write.
var timeZero = time.Unix(0, 0)
