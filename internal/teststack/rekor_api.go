package teststack

import (
	"context"
	"encoding/hex"
	"encoding/pem"
	"net/http"
	"strconv"

	"github.com/go-openapi/runtime"
	"github.com/sigstore/rekor/pkg/generated/models"
	"github.com/sigstore/rekor/pkg/sharding"
	"github.com/sigstore/rekor/pkg/util"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
)

// inclusionProof proves the entry at index in the tree as it is now, with a
// checkpoint for that tree. l.mu must be held.
func (l *rekorLog) inclusionProof(ctx context.Context, index uint64) (
	*models.InclusionProof, error,
) {
	size := l.tree.Size()
	hashes, err := l.tree.InclusionProof(index, size)
	if err != nil {
		return nil, err
	}
	root := l.tree.Hash()
	checkpoint, err := l.checkpoint(ctx, size, root)
	if err != nil {
		return nil, err
	}
	hexHashes := make([]string, len(hashes))
	for i, h := range hashes {
		hexHashes[i] = hex.EncodeToString(h)
	}
	logIndex, treeSize := int64(index), int64(size) //nolint:gosec // small test log
	rootHex, cp := hex.EncodeToString(root), string(checkpoint)
	return &models.InclusionProof{
		LogIndex: &logIndex, TreeSize: &treeSize, RootHash: &rootHex,
		Hashes: hexHashes, Checkpoint: &cp,
	}, nil
}

// checkpoint signs the tree head of size and root as Rekor does, its
// origin "<hostname> - <tree ID>".
func (l *rekorLog) checkpoint(ctx context.Context, size uint64, root []byte) ([]byte, error) {
	return util.CreateAndSignCheckpoint(ctx, l.origin, l.treeID, size, root, l.signer)
}

// byIndex answers GET /api/v1/log/entries?logIndex=N.
func (l *rekorLog) byIndex(w http.ResponseWriter, r *http.Request) {
	index, err := strconv.ParseUint(r.URL.Query().Get("logIndex"), 10, 63)
	if err != nil {
		rekorError(w, http.StatusBadRequest, "logIndex: "+err.Error())
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if index >= uint64(len(l.entries)) {
		rekorError(w, http.StatusNotFound, "no entry at that index")
		return
	}
	l.writeEntry(w, r, index)
}

// byID answers GET /api/v1/log/entries/{id}, id a UUID or an entry ID.
func (l *rekorLog) byID(w http.ResponseWriter, r *http.Request) {
	uuid, err := sharding.GetUUIDFromIDString(r.PathValue("id"))
	if err != nil {
		rekorError(w, http.StatusBadRequest, err.Error())
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	index, ok := l.byUUID[uuid]
	if !ok {
		rekorError(w, http.StatusNotFound, "no entry with that UUID")
		return
	}
	l.writeEntry(w, r, index)
}

// writeEntry writes the entry at index. l.mu must be held.
func (l *rekorLog) writeEntry(w http.ResponseWriter, r *http.Request, index uint64) {
	entry, err := l.logEntry(r.Context(), index)
	if err != nil {
		rekorError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, entry)
}

// search answers POST /api/v1/log/entries/retrieve: the entries that match
// the query's proposed entries, UUIDs or log indexes.
func (l *rekorLog) search(w http.ResponseWriter, r *http.Request) {
	var q models.SearchLogQuery
	if err := runtime.JSONConsumer().Consume(r.Body, &q); err != nil {
		rekorError(w, http.StatusBadRequest, err.Error())
		return
	}
	var uuids []string
	for _, pe := range q.Entries() {
		leaf, err := canonicalize(r.Context(), pe)
		if err != nil {
			rekorError(w, http.StatusBadRequest, "validation: "+err.Error())
			return
		}
		uuids = append(uuids, hex.EncodeToString(hashLeaf(leaf)))
	}
	for _, id := range q.EntryUUIDs {
		if uuid, err := sharding.GetUUIDFromIDString(id); err == nil {
			uuids = append(uuids, uuid)
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	var indexes []uint64
	for _, uuid := range uuids {
		if i, ok := l.byUUID[uuid]; ok {
			indexes = append(indexes, i)
		}
	}
	for _, i := range q.LogIndexes {
		if i != nil && *i >= 0 && *i < int64(len(l.entries)) {
			indexes = append(indexes, uint64(*i))
		}
	}
	found := []models.LogEntry{}
	for _, i := range indexes {
		entry, err := l.logEntry(r.Context(), i)
		if err != nil {
			rekorError(w, http.StatusInternalServerError, err.Error())
			return
		}
		found = append(found, entry)
	}
	writeJSON(w, http.StatusOK, found)
}

// info answers GET /api/v1/log with the signed tree head.
func (l *rekorLog) info(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	size, root := l.tree.Size(), l.tree.Hash()
	checkpoint, err := l.checkpoint(r.Context(), size, root)
	if err != nil {
		rekorError(w, http.StatusInternalServerError, err.Error())
		return
	}
	treeSize := int64(size) //nolint:gosec // small test log
	rootHex, sth := hex.EncodeToString(root), string(checkpoint)
	treeID := strconv.FormatInt(l.treeID, 10)
	writeJSON(w, http.StatusOK, models.LogInfo{
		RootHash: &rootHex, SignedTreeHead: &sth, TreeID: &treeID, TreeSize: &treeSize,
		InactiveShards: []*models.InactiveShardLogInfo{},
	})
}

// consistency answers GET /api/v1/log/proof?firstSize=M&lastSize=N with
// the RFC 6962 proof that the tree of size M is a prefix of that of size N.
func (l *rekorLog) consistency(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	first, err1 := strconv.ParseUint(q.Get("firstSize"), 10, 63)
	if q.Get("firstSize") == "" {
		first, err1 = 1, nil
	}
	last, err2 := strconv.ParseUint(q.Get("lastSize"), 10, 63)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err1 != nil || err2 != nil || first > last || last > l.tree.Size() {
		rekorError(w, http.StatusBadRequest,
			"firstSize and lastSize must be sizes the tree had, in order")
		return
	}
	hashes, err := l.tree.ConsistencyProof(first, last)
	if err != nil {
		rekorError(w, http.StatusBadRequest, err.Error())
		return
	}
	hexHashes := make([]string, len(hashes))
	for i, h := range hashes {
		hexHashes[i] = hex.EncodeToString(h)
	}
	root := hex.EncodeToString(l.tree.HashAt(last))
	writeJSON(w, http.StatusOK, models.ConsistencyProof{Hashes: hexHashes, RootHash: &root})
}

// publicKey answers GET /api/v1/log/publicKey with the log's key in PEM.
func (l *rekorLog) publicKey(w http.ResponseWriter, _ *http.Request) {
	der, err := cryptoutils.MarshalPublicKeyToDER(l.pub)
	if err != nil {
		rekorError(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/x-pem-file")
	_ = pem.Encode(w, &pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// rekorError writes Rekor's error body.
func rekorError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, models.Error{Code: int64(code), Message: msg})
}
