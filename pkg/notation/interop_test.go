package notation_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	notationgo "github.com/notaryproject/notation-go"
	"github.com/notaryproject/notation-go/dir"
	nregistry "github.com/notaryproject/notation-go/registry"
	"github.com/notaryproject/notation-go/signer"
	nverifier "github.com/notaryproject/notation-go/verifier"
	"github.com/notaryproject/notation-go/verifier/trustpolicy"
	"github.com/notaryproject/notation-go/verifier/truststore"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/vouchsec/vouch/internal/testreg"
	"github.com/vouchsec/vouch/pkg/notation"
	"github.com/vouchsec/vouch/pkg/notation/devcert"
)

// trustPolicyJSON is a standard notation trustpolicy.json that trusts the
// "acme" CA store for every repository.
const trustPolicyJSON = `{
  "version": "1.0",
  "trustPolicies": [{
    "name": "acme",
    "registryScopes": ["*"],
    "signatureVerification": {"level": "strict"},
    "trustStores": ["ca:acme"],
    "trustedIdentities": ["x509.subject: C=US, ST=WA, O=Acme"]
  }]
}`

// notationConfig writes a notation configuration directory (trust policy
// and x509 trust store) the way the notation CLI keeps it.
func notationConfig(t *testing.T, certs *devcert.Set) dir.SysFS {
	t.Helper()
	root := t.TempDir()
	ca := filepath.Join(root, "truststore", "x509", "ca", "acme")
	if err := os.MkdirAll(ca, 0o700); err != nil {
		t.Fatal(err)
	}
	f, err := certs.Write(filepath.Join(root, "dev"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(f.CA, filepath.Join(ca, "root.crt")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, dir.PathTrustPolicy), []byte(trustPolicyJSON), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir.NewSysFS(root)
}

// notationVerify verifies d with notation-go the way `notation verify`
// does: trustpolicy.json, a file trust store and notation.Verify.
func notationVerify(t *testing.T, cfg dir.SysFS, d name.Digest) error {
	t.Helper()
	p, err := cfg.SysPath(dir.PathTrustPolicy)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var doc trustpolicy.Document
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	v, err := nverifier.New(&doc, truststore.NewX509TrustStore(cfg), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = notationgo.Verify(t.Context(), v, notationRepo(t, d), notationgo.VerifyOptions{
		ArtifactReference: d.String(), MaxSignatureAttempts: 10,
	})
	return err
}

func notationRepo(t *testing.T, d name.Digest) nregistry.Repository {
	t.Helper()
	r, err := remote.NewRepository(d.Context().Name())
	if err != nil {
		t.Fatal(err)
	}
	r.PlainHTTP = true
	return nregistry.NewRepository(r)
}

func TestNotationGoAcceptsVouchSignatures(t *testing.T) {
	for _, reg := range registries {
		for _, env := range []string{notation.EnvelopeJWS, notation.EnvelopeCOSE} {
			t.Run(reg.name+"/"+env, func(t *testing.T) {
				d := sample(t, reg.start(t))
				certs := devCerts(t)
				cfg := notationConfig(t, certs)
				if err := notationVerify(t, cfg, d); err == nil {
					t.Fatal("notation-go verified an unsigned image")
				}
				opts := notation.SignOptions{Envelope: env}
				if _, err := notation.Sign(t.Context(), d, signerOf(t, certs), opts); err != nil {
					t.Fatal(err)
				}
				if err := notationVerify(t, cfg, d); err != nil {
					t.Errorf("notation-go rejects vouch's signature: %v", err)
				}
			})
		}
	}
}

func TestVouchAcceptsNotationGoSignatures(t *testing.T) {
	host := testreg.GGCR(t, true)
	d := sample(t, host)
	certs := devCerts(t)
	f, err := certs.Write(filepath.Join(t.TempDir(), "dev"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := signer.NewGenericSignerFromFiles(f.Key, f.Cert)
	if err != nil {
		t.Fatal(err)
	}
	mt, _ := notation.EnvelopeMediaType(notation.EnvelopeCOSE)
	_, err = notationgo.Sign(t.Context(), s, notationRepo(t, d), notationgo.SignOptions{
		SignerSignOptions: notationgo.SignerSignOptions{SignatureMediaType: mt},
		ArtifactReference: d.String(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := verifier(t, trusting(certs.Root), d).Verify(t.Context(), onlySignature(t, d)); err != nil {
		t.Errorf("vouch rejects notation-go's signature: %v", err)
	}
}
