package teststack

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"time"

	"github.com/cyberphone/json-canonicalization/go/src/webpki.org/jsoncanonicalizer"
	"github.com/go-openapi/runtime"
	"github.com/sigstore/rekor/pkg/generated/models"
	"github.com/sigstore/rekor/pkg/sharding"
	"github.com/sigstore/rekor/pkg/types"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/merkle/testonly"

	// The entry kinds that cosign and sigstore-go upload.
	_ "github.com/sigstore/rekor/pkg/types/dsse/v0.0.1"
	_ "github.com/sigstore/rekor/pkg/types/hashedrekord/v0.0.1"
	_ "github.com/sigstore/rekor/pkg/types/intoto/v0.0.1"
	_ "github.com/sigstore/rekor/pkg/types/intoto/v0.0.2"
)

// rekorLog is an in-memory Rekor v1: the entries API over an RFC 6962
// Merkle tree, with signed entry timestamps and checkpoints made as Rekor
// makes them.
type rekorLog struct {
	srv    *httptest.Server
	signer signature.SignerVerifier
	pub    crypto.PublicKey
	logID  string // hex SHA-256 of the key's PKIX DER
	treeID int64
	origin string // the checkpoint's hostname

	mu      sync.Mutex
	tree    *testonly.Tree
	entries []storedEntry     // by log index
	byUUID  map[string]uint64 // hex leaf hash to log index
}

type storedEntry struct {
	body           []byte // the canonicalized entry, the leaf
	integratedTime int64
}

func newRekorLog() (*rekorLog, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	signer, err := signature.LoadECDSASignerVerifier(key, crypto.SHA256)
	if err != nil {
		return nil, err
	}
	der, err := cryptoutils.MarshalPublicKeyToDER(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	id := sha256.Sum256(der)
	treeID, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		return nil, err
	}
	l := &rekorLog{
		signer: signer, pub: &key.PublicKey, logID: hex.EncodeToString(id[:]),
		treeID: treeID.Int64() + 1, tree: testonly.New(rfc6962.DefaultHasher),
		byUUID: map[string]uint64{},
	}
	l.srv = httptest.NewServer(l.mux(time.Now))
	u, _ := url.Parse(l.srv.URL)
	l.origin = u.Host
	return l, nil
}

// mux serves the log's API, with now as the clock that integrated times
// are read from.
func (l *rekorLog) mux(now func() time.Time) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/log/entries", func(w http.ResponseWriter, r *http.Request) {
		l.create(w, r, now)
	})
	mux.HandleFunc("GET /api/v1/log/entries", l.byIndex)
	mux.HandleFunc("GET /api/v1/log/entries/{id}", l.byID)
	mux.HandleFunc("POST /api/v1/log/entries/retrieve", l.search)
	mux.HandleFunc("GET /api/v1/log", l.info)
	mux.HandleFunc("GET /api/v1/log/proof", l.consistency)
	mux.HandleFunc("GET /api/v1/log/publicKey", l.publicKey)
	return mux
}

// entryID is the tree ID and UUID that Rekor names an entry by.
func (l *rekorLog) entryID(uuid string) string {
	id, err := sharding.CreateEntryIDFromParts(fmt.Sprintf("%x", l.treeID), uuid)
	if err != nil {
		panic(err) // a hex tree ID and a leaf hash are always valid parts
	}
	return id.ReturnEntryIDString()
}

// canonicalize turns a proposed entry into the leaf Rekor would store.
func canonicalize(ctx context.Context, pe models.ProposedEntry) ([]byte, error) {
	entry, err := types.CreateVersionedEntry(pe)
	if err != nil {
		return nil, err
	}
	return types.CanonicalizeEntry(ctx, entry)
}

func (l *rekorLog) create(w http.ResponseWriter, r *http.Request, now func() time.Time) {
	pe, err := models.UnmarshalProposedEntry(r.Body, runtime.JSONConsumer())
	if err != nil {
		rekorError(w, http.StatusBadRequest, err.Error())
		return
	}
	leaf, err := canonicalize(r.Context(), pe)
	if err != nil {
		rekorError(w, http.StatusBadRequest, "validation: "+err.Error())
		return
	}
	uuid := hex.EncodeToString(hashLeaf(leaf))

	l.mu.Lock()
	defer l.mu.Unlock()
	id := l.entryID(uuid)
	if _, dup := l.byUUID[uuid]; dup {
		w.Header().Set("Location", r.URL.Path+"/"+id)
		rekorError(w, http.StatusConflict, fmt.Sprintf(
			"an equivalent entry already exists in the transparency log with UUID %v", id))
		return
	}
	index := uint64(len(l.entries))
	l.entries = append(l.entries, storedEntry{body: leaf, integratedTime: now().Unix()})
	l.tree.AppendData(leaf)
	l.byUUID[uuid] = index
	entry, err := l.logEntry(r.Context(), index)
	if err != nil {
		rekorError(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.Header().Set("Location", r.URL.Path+"/"+id)
	w.Header().Set("ETag", id)
	writeJSON(w, http.StatusCreated, entry)
}

// logEntry is the entry at index, with its signed entry timestamp and an
// inclusion proof in the tree as it is now. l.mu must be held.
func (l *rekorLog) logEntry(ctx context.Context, index uint64) (models.LogEntry, error) {
	e := l.entries[index]
	logIndex := int64(index) //nolint:gosec // a test log never holds 2^63 entries
	anon := models.LogEntryAnon{
		Body:           e.body,
		IntegratedTime: &e.integratedTime,
		LogID:          &l.logID,
		LogIndex:       &logIndex,
	}
	set, err := l.signEntry(anon)
	if err != nil {
		return nil, err
	}
	proof, err := l.inclusionProof(ctx, index)
	if err != nil {
		return nil, err
	}
	anon.Verification = &models.LogEntryAnonVerification{
		InclusionProof: proof, SignedEntryTimestamp: set,
	}
	uuid := hex.EncodeToString(l.tree.LeafHash(index))
	return models.LogEntry{l.entryID(uuid): anon}, nil
}

// signEntry makes the signed entry timestamp: a signature over the RFC 8785
// form of the entry's body, integrated time, log ID and index.
func (l *rekorLog) signEntry(anon models.LogEntryAnon) ([]byte, error) {
	payload, err := anon.MarshalBinary()
	if err != nil {
		return nil, err
	}
	canonical, err := jsoncanonicalizer.Transform(payload)
	if err != nil {
		return nil, err
	}
	return l.signer.SignMessage(bytes.NewReader(canonical))
}

// hashLeaf is the RFC 6962 leaf hash, which Rekor uses as the entry's UUID.
func hashLeaf(leaf []byte) []byte {
	return rfc6962.DefaultHasher.HashLeaf(leaf)
}
