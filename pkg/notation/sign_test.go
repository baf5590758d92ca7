package notation_test

import (
	"net/http"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/vouchsec/vouch/pkg/notation"
)

func TestSignVerifyRoundTrip(t *testing.T) {
	for _, reg := range registries {
		for _, env := range []string{notation.EnvelopeJWS, notation.EnvelopeCOSE} {
			t.Run(reg.name+"/"+env, func(t *testing.T) {
				host := reg.start(t)
				d := sample(t, host)
				certs := devCerts(t)
				opts := notation.SignOptions{Envelope: env}
				sigDesc, err := notation.Sign(t.Context(), d, signerOf(t, certs), opts)
				if err != nil {
					t.Fatal(err)
				}
				sig := onlySignature(t, d)
				if sig.Manifest.Digest != sigDesc.Digest {
					t.Errorf("discovered signature %s, pushed %s", sig.Manifest.Digest, sigDesc.Digest)
				}
				wantMT, _ := notation.EnvelopeMediaType(env)
				if sig.MediaType != wantMT {
					t.Errorf("envelope media type = %s, want %s", sig.MediaType, wantMT)
				}
				res, err := verifier(t, trusting(certs.Root), d).Verify(t.Context(), sig)
				if err != nil {
					t.Fatalf("verifying: %v", err)
				}
				if !res.Certificate.Equal(certs.Leaf) || len(res.Logged) != 0 || res.Skipped {
					t.Errorf("result = %+v", res)
				}
				checkStorage(t, host, d, reg.referrersAPI)
			})
		}
	}
}

// checkStorage checks where the signature went: the referrers API alone
// where the registry serves it, the referrers tag schema otherwise.
func checkStorage(t *testing.T, host string, d name.Digest, referrersAPI bool) {
	t.Helper()
	tag := "sha256-" + d.DigestStr()[len("sha256:"):]
	req, err := http.NewRequestWithContext(t.Context(), http.MethodHead,
		"http://"+host+"/v2/"+repoPath+"/manifests/"+tag, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/vnd.oci.image.index.v1+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	hasTag := resp.StatusCode == http.StatusOK
	if hasTag == referrersAPI {
		t.Errorf("referrers tag %s present=%v on a registry with referrers API=%v",
			tag, hasTag, referrersAPI)
	}
}

func TestSignRejectsBadOptions(t *testing.T) {
	host := registries[0].start(t)
	d := sample(t, host)
	s := signerOf(t, devCerts(t))
	for name, opts := range map[string]notation.SignOptions{
		"envelope":      {Envelope: "pgp"},
		"tsa-no-roots":  {TSAURL: "http://127.0.0.1:1/tsa"},
		"expiry-millis": {Expiry: 1500 * 1e6},
	} {
		if _, err := notation.Sign(t.Context(), d, s, opts); err == nil {
			t.Errorf("%s: Sign succeeded", name)
		}
	}
	if got := discover(t, d); len(got.Signatures) != 0 {
		t.Errorf("failed signings left %d signatures", len(got.Signatures))
	}
}
