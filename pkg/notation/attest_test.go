package notation_test

import (
	"bytes"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/vouchsec/vouch/internal/testreg"
	"github.com/vouchsec/vouch/pkg/notation"
)

func TestAttestRoundTrip(t *testing.T) {
	for _, reg := range registries {
		t.Run(reg.name, func(t *testing.T) {
			host := reg.start(t)
			d := sample(t, host)
			certs := devCerts(t)
			st := statement(t, d)
			opts := notation.SignOptions{Envelope: notation.EnvelopeCOSE}
			got, err := notation.Attest(t.Context(), d, st, signerOf(t, certs), opts)
			if err != nil {
				t.Fatal(err)
			}
			ev := discover(t, d)
			if len(ev.Signatures) != 0 || len(ev.Attestations) != 1 {
				t.Fatalf("found %d signatures and %d attestations, want 0 and 1",
					len(ev.Signatures), len(ev.Attestations))
			}
			a := ev.Attestations[0]
			if a.Manifest.Digest != got.Manifest.Digest || len(a.Signatures) != 1 ||
				a.Signatures[0].Manifest.Digest != got.Signature.Digest {
				t.Fatalf("discovered %+v, pushed %+v", a, got)
			}
			if a.PredicateType != predicateSPDX || !bytes.Equal(a.Statement, st) {
				t.Errorf("predicate type %q, statement %q", a.PredicateType, a.Statement)
			}
			res, err := notation.VerifyAttestation(t.Context(), verifier(t, trusting(certs.Root), d), a)
			if err != nil {
				t.Fatalf("verifying attestation: %v", err)
			}
			if !res.Certificate.Equal(certs.Leaf) {
				t.Errorf("signed by %s", res.Certificate.Subject)
			}
			_, err = notation.VerifyAttestation(t.Context(), verifier(t, trusting(devCerts(t).Root), d), a)
			wantCheck(t, err, notation.CheckAuthenticity)
		})
	}
}

func TestAttestStatementAboutAnotherImage(t *testing.T) {
	host := testreg.GGCR(t, true)
	d := sample(t, host)
	certs := devCerts(t)
	im, err := testreg.SampleIndex(t).IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	child, err := name.NewDigest(d.Context().Name() + "@" + im.Manifests[0].Digest.String())
	if err != nil {
		t.Fatal(err)
	}
	// Attest refuses a statement about another digest...
	if _, err := notation.Attest(t.Context(), d, statement(t, child), signerOf(t, certs),
		notation.SignOptions{}); err == nil {
		t.Fatal("Attest accepted a statement about another image")
	}
	// ...and verification catches one attached by hand: attest the child,
	// then read that attestation as if it were attached to d.
	if _, err := notation.Attest(t.Context(), child, statement(t, child), signerOf(t, certs),
		notation.SignOptions{}); err != nil {
		t.Fatal(err)
	}
	a := discover(t, child).Attestations[0]
	a.Subject = discover(t, d).Subject
	_, err = notation.VerifyAttestation(t.Context(), verifier(t, trusting(certs.Root), d), a)
	wantCheck(t, err, notation.CheckSubjectDigest)
}
