package devcert

import (
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"strings"

	ldap "github.com/go-ldap/ldap/v3"
)

// ParseSubject parses a distinguished name in the RFC 4514 form notation
// uses, such as "CN=release,O=Acme,L=Seattle,ST=WA,C=US". It accepts the
// attribute types CN, O, OU, L, ST (or S) and C, each at most once, and
// requires CN. Trust policies match identities on C, ST and O, so a
// subject meant for one should carry all three.
func ParseSubject(s string) (pkix.Name, error) {
	var name pkix.Name
	if strings.TrimSpace(s) == "" {
		return name, errors.New("subject is empty")
	}
	dn, err := ldap.ParseDN(s)
	if err != nil {
		return name, fmt.Errorf("subject %q is not a distinguished name: %w", s, err)
	}
	seen := map[string]bool{}
	for _, rdn := range dn.RDNs {
		if len(rdn.Attributes) != 1 {
			return name, fmt.Errorf("subject %q: multi-valued RDNs are not supported", s)
		}
		a := rdn.Attributes[0]
		typ := strings.ToUpper(a.Type)
		if typ == "S" {
			typ = "ST"
		}
		if seen[typ] {
			return name, fmt.Errorf("subject %q: %s appears more than once", s, typ)
		}
		seen[typ] = true
		if a.Value == "" {
			return name, fmt.Errorf("subject %q: %s is empty", s, typ)
		}
		if err := setAttribute(&name, typ, a.Value); err != nil {
			return name, fmt.Errorf("subject %q: %w", s, err)
		}
	}
	if name.CommonName == "" {
		return name, fmt.Errorf("subject %q has no CN", s)
	}
	return name, nil
}

func setAttribute(n *pkix.Name, typ, v string) error {
	switch typ {
	case "CN":
		n.CommonName = v
	case "O":
		n.Organization = []string{v}
	case "OU":
		n.OrganizationalUnit = []string{v}
	case "L":
		n.Locality = []string{v}
	case "ST":
		n.Province = []string{v}
	case "C":
		if len(v) != 2 {
			return fmt.Errorf("C must be a two-letter country code, got %q", v)
		}
		n.Country = []string{v}
	default:
		return fmt.Errorf("unsupported attribute type %q (want CN, O, OU, L, ST or C)", typ)
	}
	return nil
}
