package teststack

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	ct "github.com/google/certificate-transparency-go"
	cttls "github.com/google/certificate-transparency-go/tls"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
)

// ctLog is an RFC 6962 log front end that keeps nothing: it answers
// add-chain and add-pre-chain with an SCT signed by its own key, which is
// all Fulcio asks of a CT log.
type ctLog struct {
	srv   *httptest.Server
	key   *ecdsa.PrivateKey
	logID [sha256.Size]byte
}

func newCTLog() (*ctLog, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := cryptoutils.MarshalPublicKeyToDER(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	l := &ctLog{key: key, logID: sha256.Sum256(der)}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+ct.AddChainPath, l.handler(ct.X509LogEntryType))
	mux.HandleFunc("POST "+ct.AddPreChainPath, l.handler(ct.PrecertLogEntryType))
	l.srv = httptest.NewServer(mux)
	return l, nil
}

func (l *ctLog) handler(etype ct.LogEntryType) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req ct.AddChainRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, "decoding request: "+err.Error(), http.StatusBadRequest)
			return
		}
		resp, err := l.sct(req.Chain, etype)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		writeJSON(w, http.StatusOK, resp)
	}
}

// sct signs the RFC 6962 CertificateTimestamp of the chain's leaf.
func (l *ctLog) sct(chain [][]byte, etype ct.LogEntryType) (*ct.AddChainResponse, error) {
	if len(chain) == 0 {
		return nil, fmt.Errorf("empty chain")
	}
	raw := make([]ct.ASN1Cert, len(chain))
	for i, c := range chain {
		raw[i] = ct.ASN1Cert{Data: c}
	}
	now := uint64(time.Now().UnixMilli())
	leaf, err := ct.MerkleTreeLeafFromRawChain(raw, etype, now)
	if err != nil {
		return nil, fmt.Errorf("building leaf: %w", err)
	}
	sct := ct.SignedCertificateTimestamp{
		SCTVersion: ct.V1,
		LogID:      ct.LogID{KeyID: l.logID},
		Timestamp:  now,
	}
	input, err := ct.SerializeSCTSignatureInput(sct, ct.LogEntry{Leaf: *leaf})
	if err != nil {
		return nil, err
	}
	sig, err := cttls.CreateSignature(*l.key, cttls.SHA256, input)
	if err != nil {
		return nil, fmt.Errorf("signing SCT: %w", err)
	}
	encoded, err := cttls.Marshal(sig)
	if err != nil {
		return nil, err
	}
	return &ct.AddChainResponse{
		SCTVersion: ct.V1,
		ID:         l.logID[:],
		Timestamp:  now,
		Signature:  encoded,
	}, nil
}
