package testtsa

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"

	"github.com/notaryproject/tspclient-go"
)

// timestamp asks tsa for a token over content.
func timestamp(t *testing.T, tsa *TSA, content []byte) *tspclient.SignedToken {
	t.Helper()
	ts, err := tspclient.NewHTTPTimestamper(nil, tsa.URL)
	if err != nil {
		t.Fatal(err)
	}
	req, err := tspclient.NewRequest(tspclient.RequestOptions{
		Content:       content,
		HashAlgorithm: crypto.SHA256,
	})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := ts.Timestamp(context.Background(), req)
	if err != nil {
		t.Fatalf("Timestamp: %v", err)
	}
	token, err := resp.SignedToken()
	if err != nil {
		t.Fatal(err)
	}
	return token
}

func TestTimestampVerifiesAgainstRoot(t *testing.T) {
	tsa := Start(t)
	content := []byte("vouch signature bytes")
	before := time.Now()
	token := timestamp(t, tsa, content)

	chain, err := token.Verify(context.Background(), x509.VerifyOptions{Roots: tsa.Pool()})
	if err != nil {
		t.Fatalf("Verify against TSA root: %v", err)
	}
	if got := chain[len(chain)-1]; !got.Equal(tsa.Root) {
		t.Errorf("chain ends in %s, want %s", got.Subject, tsa.Root.Subject)
	}
	if !chain[0].Equal(tsa.Chain[0]) {
		t.Errorf("token signed by %s, want %s", chain[0].Subject, tsa.Chain[0].Subject)
	}

	info, err := token.Info()
	if err != nil {
		t.Fatal(err)
	}
	stamp, err := info.Validate(content)
	if err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if stamp.Value.Before(before.Add(-time.Minute)) || stamp.Value.After(time.Now().Add(time.Minute)) {
		t.Errorf("timestamp %v is not around now", stamp.Value)
	}
	if _, err := info.Validate([]byte("other bytes")); err == nil {
		t.Error("Validate accepted content that was not timestamped")
	}
}

func TestTimestampRejectsOtherRoot(t *testing.T) {
	tsa := Start(t)
	token := timestamp(t, tsa, []byte("payload"))

	pool := x509.NewCertPool()
	pool.AddCert(selfSigned(t))
	if _, err := token.Verify(context.Background(), x509.VerifyOptions{Roots: pool}); err == nil {
		t.Fatal("Verify accepted a token against an unrelated root")
	}
}

func TestStartTwice(t *testing.T) {
	a, b := Start(t), Start(t)
	if a.URL == b.URL {
		t.Fatalf("both servers listen on %s", a.URL)
	}
	for _, tsa := range []*TSA{a, b} {
		token := timestamp(t, tsa, []byte("x"))
		opts := x509.VerifyOptions{Roots: tsa.Pool()}
		if _, err := token.Verify(context.Background(), opts); err != nil {
			t.Errorf("%s: %v", tsa.URL, err)
		}
	}
}

func selfSigned(t *testing.T) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "unrelated root"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}
