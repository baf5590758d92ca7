package notation

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"

	"github.com/notaryproject/notation-go/verifier/trustpolicy"
	"github.com/notaryproject/notation-go/verifier/truststore"

	"github.com/vouchsec/vouch/pkg/policy"
)

// storeName names the trust stores of the in-memory trust policy; each
// verifier serves one signer, so one name is enough.
const storeName = "vouch"

// ScopeAll is the registry scope that matches every repository.
const ScopeAll = "*"

// TrustPolicy returns the notation trust policy document that stands for s
// applied to scope, a repository ("registry/path", as notation writes
// registry scopes) or ScopeAll. Its one statement names the in-memory trust
// stores of [TrustStore]: "ca:vouch", and "tsa:vouch" when s trusts a
// timestamp authority, in which case signatures must carry a timestamp that
// chains to it (notation's verifyTimestamp "always").
func TrustPolicy(s *policy.NotationSigner, scope string) (*trustpolicy.Document, error) {
	if s == nil {
		return nil, errors.New("trust policy: no notation signer")
	}
	if scope == "" {
		scope = ScopeAll
	}
	level := s.Level
	if level == "" {
		level = policy.LevelStrict
	}
	st := trustpolicy.TrustPolicy{
		Name:                  storeName,
		RegistryScopes:        []string{scope},
		SignatureVerification: trustpolicy.SignatureVerification{VerificationLevel: level},
	}
	if level != policy.LevelSkip {
		st.TrustStores = []string{string(truststore.TypeCA) + ":" + storeName}
		if len(s.TSATrustStore) > 0 {
			st.TrustStores = append(st.TrustStores, string(truststore.TypeTSA)+":"+storeName)
			st.SignatureVerification.VerifyTimestamp = trustpolicy.OptionAlways
		}
		st.TrustedIdentities = s.Identities
	}
	doc := &trustpolicy.Document{Version: "1.0", TrustPolicies: []trustpolicy.TrustPolicy{st}}
	if err := doc.Validate(); err != nil {
		return nil, fmt.Errorf("trust policy: %w", err)
	}
	return doc, nil
}

// TrustStore returns an in-memory notation trust store holding s's CA
// roots under "ca:vouch" and its TSA roots under "tsa:vouch". Nothing is
// read from or written to disk.
func TrustStore(s *policy.NotationSigner) truststore.X509TrustStore {
	return memStore{ca: s.TrustStore, tsa: s.TSATrustStore}
}

type memStore struct {
	ca, tsa []*x509.Certificate
}

// GetCertificates implements truststore.X509TrustStore.
func (m memStore) GetCertificates(_ context.Context, typ truststore.Type,
	named string) ([]*x509.Certificate, error) {
	if named != storeName {
		return nil, truststore.TrustStoreError{Msg: fmt.Sprintf("no trust store %q", named)}
	}
	var certs []*x509.Certificate
	switch typ {
	case truststore.TypeCA:
		certs = m.ca
	case truststore.TypeTSA:
		certs = m.tsa
	default:
		return nil, truststore.TrustStoreError{Msg: fmt.Sprintf("no trust store of type %q", typ)}
	}
	if len(certs) == 0 {
		return nil, truststore.TrustStoreError{Msg: fmt.Sprintf("trust store %s:%s is empty", typ, named)}
	}
	if err := truststore.ValidateCertificates(certs); err != nil {
		return nil, truststore.CertificateError{InnerError: err,
			Msg: fmt.Sprintf("trust store %s:%s: %v", typ, named, err)}
	}
	return certs, nil
}
