package notation_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/vouchsec/vouch/internal/corpus"
	"github.com/vouchsec/vouch/pkg/notation"
	"github.com/vouchsec/vouch/pkg/policy"
)

// TestCorpusEnvelopes verifies the corpus's bare notation envelopes with
// the signers that `vouch policy import-notation` makes of the case's
// trust policy and trust store. The cases carry no image, only the
// descriptor that was signed, so they run through the verifier rather than
// through a registry; the OCI layout cases run through `vouch verify` in
// cmd/vouch.
//
// Nothing here may leave the machine: revocation requests go to a client
// that refuses every dial. A case whose expected outcome the corpus
// qualifies with an offline caveat (a pass that assumes the TSA's OCSP
// responder is reachable or its revocation check skipped) must then fail
// on that check alone: vouch does not tolerate an unknown revocation
// status at level strict.
func TestCorpusEnvelopes(t *testing.T) {
	for _, c := range corpus.Cases(t, "notation-envelope") {
		t.Run(c.ID, func(t *testing.T) {
			envelope, err := os.ReadFile(corpus.Path(t, c.Envelope))
			if err != nil {
				t.Fatal(err)
			}
			sig := &notation.Signature{
				Repository: "localhost:5000/corpus",
				Subject: ocispec.Descriptor{
					MediaType: c.TargetDescriptor.MediaType,
					Digest:    digest.Digest(c.TargetDescriptor.Digest),
					Size:      c.TargetDescriptor.Size,
				},
				MediaType: c.EnvelopeMediaType,
				Envelope:  envelope,
			}
			signers := importedSigners(t, c)
			var passed []string
			var errs []error
			for _, s := range signers {
				v, err := notation.NewVerifier(s, sig.Repository, notation.VerifyOptions{
					RevocationHTTPClient: noNetwork(),
				})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := v.Verify(t.Context(), sig); err != nil {
					errs = append(errs, err)
					continue
				}
				passed = append(passed, s.TrustStoreFile)
			}
			switch {
			case c.Expected == "fail" && len(passed) > 0:
				t.Fatalf("want a failure (%s), but %v verified it", c.Reason, passed)
			case c.Expected == "fail":
				t.Logf("refused as expected: %v", errors.Join(errs...))
			case c.OfflineCaveat != "" && len(passed) == 0:
				for _, err := range errs {
					var ce *notation.CheckError
					if !errors.As(err, &ce) || ce.Check != notation.CheckAuthenticTimestamp ||
						!strings.Contains(err.Error(), "revocation status is unknown") {
						t.Errorf("offline, want only the TSA revocation check to fail; got %v", err)
					}
				}
			case len(passed) == 0:
				t.Fatalf("want a pass (%s), got %v", c.Reason, errors.Join(errs...))
			}
		})
	}
}

// importedSigners turns the case's trust policy and trust store into vouch
// notation signers, as `vouch policy import-notation` does.
func importedSigners(t *testing.T, c corpus.Case) []*policy.NotationSigner {
	t.Helper()
	store := filepath.Join(corpus.Path(t, c.NotationConfigDir), "truststore")
	out, err := policy.ImportNotation(corpus.Path(t, c.TrustPolicy), store)
	if err != nil {
		t.Fatalf("importing %s: %v", c.TrustPolicy, err)
	}
	p, err := policy.Parse(filepath.Join(t.TempDir(), "imported.yaml"), out)
	if err != nil {
		t.Fatalf("imported policy does not load: %v\n%s", err, out)
	}
	var signers []*policy.NotationSigner
	for _, s := range p.Signers {
		if s.Notation != nil {
			signers = append(signers, s.Notation)
		}
	}
	if len(signers) == 0 {
		t.Fatalf("imported policy has no notation signer:\n%s", out)
	}
	return signers
}

// noNetwork is an HTTP client that refuses every connection at once.
func noNetwork() *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext: func(context.Context, string, string) (net.Conn, error) {
			return nil, errors.New("test: no network")
		},
	}}
}
