package policy

import (
	"crypto/x509"
	"errors"
	"strings"

	"github.com/notaryproject/notation-go/verifier/trustpolicy"
	"gopkg.in/yaml.v3"
)

// The forms a notation identity takes.
const (
	// AnyIdentity trusts every certificate the trust store anchors.
	AnyIdentity = "*"
	// identityPrefix starts an identity naming a subject's distinguished
	// name; notation-go matches no other kind itself.
	identityPrefix = "x509.subject:"
)

// notationSigner decodes a notation signer and loads its trust stores.
func (d *decoder) notationSigner(what string, n *yaml.Node) *NotationSigner {
	f, ok := d.mapping(n, what+" notation", "trustStore", "tsaTrustStore", "identities", "level")
	if !ok {
		return nil
	}
	s := &NotationSigner{Level: LevelStrict}
	if v := d.required(f, "trustStore"); v == nil {
		ok = false
	} else {
		s.TrustStorePath, s.TrustStoreFile, s.TrustStore = d.trustStore(v, what, "trustStore", false)
		ok = s.TrustStore != nil
	}
	if v := f.value("tsaTrustStore"); v != nil {
		s.TSATrustStorePath, s.TSATrustStoreFile, s.TSATrustStore = d.trustStore(v, what,
			"tsaTrustStore", true)
		ok = ok && s.TSATrustStore != nil
	}
	if v := d.required(f, "identities"); v == nil {
		ok = false
	} else {
		s.Identities = d.identities(v, what)
		ok = ok && s.Identities != nil
	}
	if v := f.value("level"); v != nil {
		s.Level = d.level(v)
		ok = ok && s.Level != ""
	}
	if !ok {
		return nil
	}
	return s
}

// trustStore decodes a trust store path and reads its certificates; the
// certificates are nil after an error.
func (d *decoder) trustStore(n *yaml.Node, what, field string,
	tsa bool) (path, file string, certs []*x509.Certificate) {
	path, ok := d.str(n, field)
	if !ok {
		return "", "", nil
	}
	file = d.resolve(path)
	certs, err := readTrustStore(file, tsa)
	if err != nil {
		d.wrap(n, err, "%s: %s %s", what, field, path)
		return path, file, nil
	}
	return path, file, certs
}

// identities decodes a notation signer's trusted identities, checking them
// the way notation-go checks a trust policy's: nil after an error.
func (d *decoder) identities(n *yaml.Node, what string) []string {
	ids, nodes, ok := d.strList(n, "identities")
	if !ok {
		return nil
	}
	for i, id := range ids {
		if id == AnyIdentity {
			if len(ids) > 1 {
				d.errorf(nodes[i], "%s: identity \"*\" trusts any certificate "+
					"and cannot be combined with other identities", what)
				ok = false
			}
			continue
		}
		if err := checkIdentity(id); err != nil {
			d.wrap(nodes[i], err, "%s: identity %q", what, id)
			ok = false
		}
	}
	if !ok {
		return nil
	}
	for i := range ids {
		for j := range i {
			if validateIdentities(ids[j], ids[i]) != nil {
				d.errorf(nodes[i], "%s: identity %q overlaps with %q: a certificate "+
					"matching the one with more attributes matches the other too", what, ids[i], ids[j])
				return nil
			}
		}
	}
	return ids
}

// checkIdentity checks one identity other than "*".
func checkIdentity(id string) error {
	dn, ok := strings.CutPrefix(id, identityPrefix)
	switch {
	case !ok:
		return errors.New(`want "x509.subject: <distinguished name>" or "*"`)
	case strings.TrimSpace(dn) == "":
		return errors.New("the distinguished name is empty")
	}
	return validateIdentities(id)
}

// validateIdentities checks trusted identities with notation-go's own
// trust policy validation, so that what vouch accepts notation-go does
// too. It returns the innermost cause, which names the problem without
// the made-up trust policy statement around it.
func validateIdentities(ids ...string) error {
	doc := &trustpolicy.Document{
		Version: "1.0",
		TrustPolicies: []trustpolicy.TrustPolicy{{
			Name:           "vouch",
			RegistryScopes: []string{"*"},
			SignatureVerification: trustpolicy.SignatureVerification{
				VerificationLevel: LevelStrict,
			},
			TrustStores:       []string{"ca:vouch"},
			TrustedIdentities: ids,
		}},
	}
	err := doc.Validate()
	for err != nil {
		inner := errors.Unwrap(err)
		if inner == nil {
			break
		}
		err = inner
	}
	return err
}

// level decodes a notation verification level; "" after an error.
func (d *decoder) level(n *yaml.Node) string {
	s, ok := d.str(n, "notation level")
	if !ok {
		return ""
	}
	switch s {
	case LevelStrict, LevelPermissive, LevelAudit, LevelSkip:
		return s
	}
	d.errorf(n, "unknown notation level %q; expected one of %s, %s, %s, %s",
		s, LevelStrict, LevelPermissive, LevelAudit, LevelSkip)
	return ""
}
