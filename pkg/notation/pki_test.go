package notation_test

import (
	"testing"

	"github.com/vouchsec/vouch/internal/testpki"
	"github.com/vouchsec/vouch/internal/testplugin"
	"github.com/vouchsec/vouch/internal/testreg"
	"github.com/vouchsec/vouch/pkg/notation"
	"github.com/vouchsec/vouch/pkg/policy"
)

// pkiIdentity matches testpki.DefaultSubject.
const pkiIdentity = "x509.subject: C=US, ST=WA, O=vouch test"

func TestPluginSignRevocation(t *testing.T) {
	pki := testpki.New(t, testpki.Options{})
	files := pki.WriteFiles(t.TempDir())
	s, err := notation.NewPluginSigner(t.Context(), notation.PluginOptions{
		Name:   testplugin.Name,
		KeyID:  "release",
		Config: map[string]string{"key": files.Key, "cert": files.Chain},
		Dir:    testplugin.Build(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	host := testreg.Distribution(t)
	d := sample(t, host)
	for _, env := range []string{notation.EnvelopeJWS, notation.EnvelopeCOSE} {
		if _, err := notation.Sign(t.Context(), d, s, notation.SignOptions{Envelope: env}); err != nil {
			t.Fatalf("signing through the plugin (%s): %v", env, err)
		}
	}
	ev := discover(t, d)
	if len(ev.Signatures) != 2 {
		t.Fatalf("found %d signatures, want 2", len(ev.Signatures))
	}
	signer := func(level string) *policy.NotationSigner {
		ps := trusting(pki.Root)
		ps.Identities, ps.Level = []string{pkiIdentity}, level
		return ps
	}
	for _, sig := range ev.Signatures {
		res, err := verifier(t, signer(policy.LevelStrict), d).Verify(t.Context(), sig)
		if err != nil {
			t.Fatalf("verifying the plugin's signature: %v", err)
		}
		if !res.Certificate.Equal(pki.Leaf) {
			t.Errorf("signed by %s", res.Certificate.Subject)
		}
	}

	pki.Revoke(pki.Leaf)
	for _, sig := range ev.Signatures {
		_, err := verifier(t, signer(policy.LevelStrict), d).Verify(t.Context(), sig)
		wantCheck(t, err, notation.CheckRevocation)
		res, err := verifier(t, signer(policy.LevelPermissive), d).Verify(t.Context(), sig)
		if err != nil {
			t.Fatalf("permissive level enforced revocation: %v", err)
		}
		if got := loggedChecks(res); got != notation.CheckRevocation {
			t.Errorf("logged %q at permissive, want %s", got, notation.CheckRevocation)
		}
	}
}

func TestUnknownPlugin(t *testing.T) {
	_, err := notation.NewPluginSigner(t.Context(), notation.PluginOptions{
		Name: "absent", KeyID: "k", Dir: t.TempDir(),
	})
	if err == nil {
		t.Fatal("NewPluginSigner found a plugin in an empty directory")
	}
}
