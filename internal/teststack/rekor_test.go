package teststack

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/sigstore/rekor/pkg/client"
	genclient "github.com/sigstore/rekor/pkg/generated/client"
	"github.com/sigstore/rekor/pkg/generated/client/entries"
	"github.com/sigstore/rekor/pkg/generated/client/pubkey"
	"github.com/sigstore/rekor/pkg/generated/models"
	"github.com/sigstore/rekor/pkg/pki"
	"github.com/sigstore/rekor/pkg/types"
	"github.com/sigstore/rekor/pkg/types/dsse"
	"github.com/sigstore/rekor/pkg/types/hashedrekord"
	"github.com/sigstore/rekor/pkg/types/intoto"
	rekorutil "github.com/sigstore/rekor/pkg/util"
	rekorverify "github.com/sigstore/rekor/pkg/verify"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
)

// hashedRekord proposes a hashedrekord entry for msg signed by a fresh key.
func hashedRekord(t *testing.T, msg string) models.ProposedEntry {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256([]byte(msg))
	sig, err := ecdsa.SignASN1(rand.Reader, key, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	pub, err := cryptoutils.MarshalPublicKeyToPEM(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	props := types.ArtifactProperties{
		PKIFormat:      string(pki.X509),
		PublicKeyBytes: [][]byte{pub},
		SignatureBytes: sig,
		ArtifactHash:   rekorutil.PrefixSHA(hex.EncodeToString(digest[:])),
	}
	pe, err := hashedrekord.New().CreateProposedEntry(context.Background(), "", props)
	if err != nil {
		t.Fatal(err)
	}
	return pe
}

func upload(t *testing.T, rc *genclient.Rekor, pe models.ProposedEntry) (
	*entries.CreateLogEntryCreated, error,
) {
	t.Helper()
	params := entries.NewCreateLogEntryParamsWithContext(context.Background())
	params.SetProposedEntry(pe)
	return rc.Entries.CreateLogEntry(params)
}

// rekorVerifier is the log's key as GET /api/v1/log/publicKey serves it.
func rekorVerifier(t *testing.T, rc *genclient.Rekor) signature.Verifier {
	t.Helper()
	resp, err := rc.Pubkey.GetPublicKey(pubkey.NewGetPublicKeyParamsWithContext(context.Background()))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := cryptoutils.UnmarshalPEMToPublicKey([]byte(resp.Payload))
	if err != nil {
		t.Fatal(err)
	}
	v, err := signature.LoadVerifier(pub, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func verifyEntry(t *testing.T, e *models.LogEntryAnon, v signature.Verifier) {
	t.Helper()
	ctx := context.Background()
	if err := rekorverify.VerifyInclusion(ctx, e); err != nil {
		t.Errorf("inclusion proof: %v", err)
	}
	if err := rekorverify.VerifyCheckpointSignature(e, v); err != nil {
		t.Errorf("checkpoint: %v", err)
	}
	if err := rekorverify.VerifySignedEntryTimestamp(ctx, e, v); err != nil {
		t.Errorf("signed entry timestamp: %v", err)
	}
}

func TestRekorEntries(t *testing.T) {
	s := Start(t)
	rc, err := client.GetRekorClient(s.RekorURL)
	if err != nil {
		t.Fatal(err)
	}
	v := rekorVerifier(t, rc)
	first := hashedRekord(t, "first")
	created, err := upload(t, rc, first)
	if err != nil {
		t.Fatalf("upload: %v", err)
	}
	entry, ok := created.Payload[created.ETag]
	if !ok {
		t.Fatalf("response has no entry under its ETag %q", created.ETag)
	}
	if _, ok := s.TrustedRoot().RekorLogs()[*entry.LogID]; !ok {
		t.Errorf("log ID %s is not the trusted root's", *entry.LogID)
	}
	verifyEntry(t, &entry, v)

	if _, err := upload(t, rc, hashedRekord(t, "second")); err != nil {
		t.Fatalf("second upload: %v", err)
	}
	get := entries.NewGetLogEntryByUUIDParamsWithContext(context.Background())
	get.SetEntryUUID(created.ETag)
	got, err := rc.Entries.GetLogEntryByUUID(get)
	if err != nil {
		t.Fatalf("get by UUID: %v", err)
	}
	again := got.Payload[created.ETag]
	if *again.Verification.InclusionProof.TreeSize <= *entry.Verification.InclusionProof.TreeSize {
		t.Errorf("proof is for tree size %d, want the grown tree",
			*again.Verification.InclusionProof.TreeSize)
	}
	verifyEntry(t, &again, v)

	_, err = upload(t, rc, first)
	var conflict *entries.CreateLogEntryConflict
	if !errors.As(err, &conflict) {
		t.Fatalf("duplicate upload: err = %v, want 409 Conflict", err)
	}
	if !strings.HasSuffix(conflict.Location.String(), "/"+created.ETag) {
		t.Errorf("409 Location = %q, want the existing entry %s", conflict.Location, created.ETag)
	}
}

func TestRekorSearchAndConsistency(t *testing.T) {
	s := Start(t)
	rc, err := client.GetRekorClient(s.RekorURL)
	if err != nil {
		t.Fatal(err)
	}
	v := rekorVerifier(t, rc)
	pe := hashedRekord(t, "searched for")
	created, err := upload(t, rc, pe)
	if err != nil {
		t.Fatalf("upload: %v", err)
	}
	query := &models.SearchLogQuery{}
	query.SetEntries([]models.ProposedEntry{pe})
	search := entries.NewSearchLogQueryParamsWithContext(context.Background())
	search.SetEntry(query)
	found, err := rc.Entries.SearchLogQuery(search)
	if err != nil {
		t.Fatalf("search: %v", err)
	}
	if len(found.Payload) != 1 || found.Payload[0][created.ETag].Body == nil {
		t.Fatalf("search found %v, want entry %s", found.Payload, created.ETag)
	}

	e := created.Payload[created.ETag]
	old := &rekorutil.SignedCheckpoint{}
	if err := old.UnmarshalText([]byte(*e.Verification.InclusionProof.Checkpoint)); err != nil {
		t.Fatal(err)
	}
	if _, err := upload(t, rc, hashedRekord(t, "later")); err != nil {
		t.Fatal(err)
	}
	if _, err := rekorverify.VerifyCurrentCheckpoint(context.Background(), rc, v, old); err != nil {
		t.Errorf("current checkpoint is not consistent with the entry's: %v", err)
	}
}

// envelopeEntry proposes an entry of kind at version for a DSSE envelope
// signed by a fresh key, as cosign's attest commands make them.
func envelopeEntry(t *testing.T, kind, version string) models.ProposedEntry {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	const payloadType = "application/vnd.in-toto+json"
	payload := []byte(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a",` +
		`"digest":{"sha256":"` + strings.Repeat("ab", 32) + `"}}],` +
		`"predicateType":"https://vouch.test/p","predicate":{}}`)
	pae := fmt.Sprintf("DSSEv1 %d %s %d %s", len(payloadType), payloadType, len(payload), payload)
	digest := sha256.Sum256([]byte(pae))
	sig, err := ecdsa.SignASN1(rand.Reader, key, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	env, err := json.Marshal(map[string]any{
		"payloadType": payloadType,
		"payload":     payload,
		"signatures":  []map[string]any{{"sig": sig}},
	})
	if err != nil {
		t.Fatal(err)
	}
	pub, err := cryptoutils.MarshalPublicKeyToPEM(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	typ := map[string]func() types.TypeImpl{"dsse": dsse.New, "intoto": intoto.New}[kind]
	pe, err := typ().CreateProposedEntry(context.Background(), version, types.ArtifactProperties{
		ArtifactBytes: env, PublicKeyBytes: [][]byte{pub},
	})
	if err != nil {
		t.Fatalf("proposing %s %s: %v", kind, version, err)
	}
	return pe
}

// TestRekorEntryKinds logs each kind of entry that sigstore-go and cosign
// upload, and checks each is logged under the kind and version proposed.
func TestRekorEntryKinds(t *testing.T) {
	s := Start(t)
	rc, err := client.GetRekorClient(s.RekorURL)
	if err != nil {
		t.Fatal(err)
	}
	v := rekorVerifier(t, rc)
	tests := []struct{ kind, version string }{
		{"hashedrekord", "0.0.1"}, {"dsse", "0.0.1"}, {"intoto", "0.0.1"}, {"intoto", "0.0.2"},
	}
	for _, tt := range tests {
		t.Run(tt.kind+"/"+tt.version, func(t *testing.T) {
			pe := hashedRekord(t, "kinds")
			if tt.kind != "hashedrekord" {
				pe = envelopeEntry(t, tt.kind, tt.version)
			}
			created, err := upload(t, rc, pe)
			if err != nil {
				t.Fatalf("upload: %v", err)
			}
			e := created.Payload[created.ETag]
			verifyEntry(t, &e, v)
			body, err := base64.StdEncoding.DecodeString(e.Body.(string))
			if err != nil {
				t.Fatal(err)
			}
			var logged struct{ Kind, APIVersion string }
			if err := json.Unmarshal(body, &logged); err != nil {
				t.Fatal(err)
			}
			if logged.Kind != tt.kind || logged.APIVersion != tt.version {
				t.Errorf("logged %s %s, want %s %s", logged.Kind, logged.APIVersion, tt.kind, tt.version)
			}
		})
	}
}
