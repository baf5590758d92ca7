package policy

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"

	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/root"
	"gopkg.in/yaml.v3"
)

// maxTrustedRootSize bounds what is read from a trusted_root.json; the
// public instance's is about 20 KB.
const maxTrustedRootSize = 4 << 20

// KeylessSigner trusts cosign signatures made with a short-lived Fulcio
// certificate whose OIDC issuer is Issuer and whose identity (the
// certificate's subject alternative name) is Subject or matches
// SubjectRegexp as a whole. Exactly one of Subject and SubjectRegexp is set.
type KeylessSigner struct {
	// Issuer is the OIDC issuer, compared exactly.
	Issuer string
	// Subject is the identity, compared exactly.
	Subject string
	// SubjectRegexp is the identity's pattern as the file writes it; it
	// must match the whole identity.
	SubjectRegexp string
	// TrustedRootPath is the trusted_root.json as the policy writes it, and
	// TrustedRootFile the file read: TrustedRootPath resolved against the
	// policy file's directory when relative.
	TrustedRootPath string
	TrustedRootFile string
	// TrustedRoot holds the Fulcio CAs, Rekor and CT log keys and timestamp
	// authorities that the signature must chain to. It is nil when the
	// file names no trustedRoot: the signer then trusts the public
	// Sigstore instance, whose root the caller sets with [Policy.UsePublicRoot].
	TrustedRoot *root.TrustedRoot
	// PublicRoot is set when TrustedRoot is the public instance's, set by
	// UsePublicRoot rather than read from a file.
	PublicRoot bool
	// RequireTlog requires a Rekor entry, proven offline by the signed
	// entry timestamp in the signature's bundle; true unless the file says
	// requireTlog: false.
	RequireTlog bool
	// RequireTimestamp requires an RFC 3161 timestamp from an authority of
	// the trusted root; false unless the file says so.
	RequireTimestamp bool
	// Claims are Fulcio certificate extensions the certificate must carry
	// with exactly these values; empty fields are not checked. The file
	// names them by their JSON names (sourceRepositoryURI); Issuer is
	// never set here, the signer's Issuer says that.
	Claims certificate.Extensions
	Pos    Position
}

// GitHubActionsIssuer is the OIDC issuer of GitHub Actions workflow
// identity tokens.
const GitHubActionsIssuer = "https://token.actions.githubusercontent.com"

// Claim is one pinned Fulcio certificate extension: its JSON name, as a
// policy's claims mapping writes it, and the value required.
type Claim struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// ClaimList returns the claims k pins, in the order of
// certificate.Extensions.
func (k *KeylessSigner) ClaimList() []Claim {
	v := reflect.ValueOf(k.Claims)
	var out []Claim
	for _, f := range claimFields() {
		if s := v.Field(f.index).String(); s != "" {
			out = append(out, Claim{Name: f.name, Value: s})
		}
	}
	return out
}

// claimField is a key of a claims mapping: the JSON name of a
// certificate.Extensions field, and the field's index.
type claimField struct {
	name  string
	index int
}

// claimFields lists the string fields of certificate.Extensions by JSON
// name, leaving out the issuer.
func claimFields() []claimField {
	t := reflect.TypeFor[certificate.Extensions]()
	var out []claimField
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "issuer" && t.Field(i).Type.Kind() == reflect.String {
			out = append(out, claimField{name: name, index: i})
		}
	}
	return out
}

// AnchoredSubjectRegexp returns SubjectRegexp wrapped so that it matches
// the whole identity, or "" when there is none.
func (k *KeylessSigner) AnchoredSubjectRegexp() string {
	if k.SubjectRegexp == "" {
		return ""
	}
	return anchor(k.SubjectRegexp)
}

func anchor(re string) string { return "^(?:" + re + ")$" }

// keylessSigner decodes a cosign keyless signer and loads its trusted root.
func (d *decoder) keylessSigner(what string, key, n *yaml.Node) *KeylessSigner {
	what += " cosign keyless"
	f, ok := d.mapping(n, what, "issuer", "subject", "subjectRegexp", "trustedRoot",
		"requireTlog", "requireTimestamp", "claims")
	if !ok {
		return nil
	}
	k := &KeylessSigner{RequireTlog: true, Pos: d.pos(key)}
	if v := d.required(f, "issuer"); v != nil {
		k.Issuer, _ = d.str(v, what+" issuer")
	}
	ok = k.Issuer != "" && d.keylessSubject(what, f, k)
	// Without trustedRoot the signer trusts the public Sigstore
	// instance, whose root the caller fetches through TUF.
	if v := f.value("trustedRoot"); v != nil && !d.trustedRoot(what, v, k) {
		ok = false
	}
	if v := f.value("requireTlog"); v != nil {
		var good bool
		k.RequireTlog, good = d.boolean(v, what+" requireTlog")
		ok = ok && good
	}
	if v := f.value("requireTimestamp"); v != nil {
		var good bool
		k.RequireTimestamp, good = d.boolean(v, what+" requireTimestamp")
		ok = ok && good
	}
	if v := f.value("claims"); v != nil {
		ok = d.claims(what, v, k) && ok
	}
	if v := f.value("trustedRoot"); v != nil && k.TrustedRoot != nil {
		ok = d.rootCovers(what, v, k) && ok
	}
	if !ok {
		return nil
	}
	return k
}

// rootCovers refuses a trusted root under which no signature of k could
// ever verify: one with no Fulcio CA, no CT log (vouch requires an SCT),
// no Rekor log when k requires a log entry, or no timestamp authority
// when it requires a timestamp.
func (d *decoder) rootCovers(what string, v *yaml.Node, k *KeylessSigner) bool {
	tr := k.TrustedRoot
	var lacks string
	switch {
	case len(tr.FulcioCertificateAuthorities()) == 0:
		lacks = "no Fulcio certificate authority"
	case len(tr.CTLogs()) == 0:
		lacks = "no CT log, so no certificate's SCT"
	case k.RequireTlog && len(tr.RekorLogs()) == 0:
		lacks = "no Rekor log, and requireTlog is true, so no log entry"
	case k.RequireTimestamp && len(tr.TimestampingAuthorities()) == 0:
		lacks = "no timestamp authority, and requireTimestamp is true, so no timestamp"
	default:
		return true
	}
	d.errorf(v, "%s trustedRoot %s lists %s: no signature could verify under it",
		what, k.TrustedRootPath, lacks)
	return false
}

// claims decodes the claims mapping n into k.Claims. A value is compared
// as the file writes it, so an unquoted number is its digits.
func (d *decoder) claims(what string, n *yaml.Node, k *KeylessSigner) bool {
	what += " claims"
	fields := claimFields()
	known := make([]string, len(fields))
	for i, cf := range fields {
		known[i] = cf.name
	}
	if n.Kind == yaml.MappingNode && len(n.Content) == 0 {
		d.errorf(n, "%s is empty; pin at least one claim or leave claims out", what)
		return false
	}
	// issuer is refused with a reason of its own, and is not offered
	// among the claims an unknown key could have meant.
	rest, refused := *n, false
	rest.Content = nil
	for i := 0; i+1 < len(n.Content); i += 2 {
		if key := n.Content[i]; key.Kind == yaml.ScalarNode && key.Value == "issuer" {
			d.errorf(key, "%s cannot pin issuer: the signer's issuer says which it is", what)
			refused = true
			continue
		}
		rest.Content = append(rest.Content, n.Content[i], n.Content[i+1])
	}
	f, ok := d.mapping(&rest, what, known...)
	if !ok {
		return false
	}
	ok = !refused && len(f.vals)*2 == len(rest.Content)
	v := reflect.ValueOf(&k.Claims).Elem()
	for _, cf := range fields {
		n := f.value(cf.name)
		if n == nil {
			continue
		}
		s, good := d.str(n, what+" "+cf.name)
		v.Field(cf.index).SetString(s)
		ok = ok && good
	}
	return ok
}

// keylessSubject decodes exactly one of subject and subjectRegexp into k.
func (d *decoder) keylessSubject(what string, f *fields, k *KeylessSigner) bool {
	sv, rv := f.value("subject"), f.value("subjectRegexp")
	switch {
	case sv != nil && rv != nil:
		d.errorf(f.keys["subjectRegexp"], "%s has both subject and subjectRegexp; give one", what)
		return false
	case sv != nil:
		var ok bool
		k.Subject, ok = d.str(sv, what+" subject")
		return ok
	case rv != nil:
		re, ok := d.str(rv, what+" subjectRegexp")
		if !ok {
			return false
		}
		if _, err := regexp.Compile(anchor(re)); err != nil {
			d.wrap(rv, err, "%s subjectRegexp", what)
			return false
		}
		k.SubjectRegexp = re
		return true
	}
	d.errorf(f.node, "%s is missing subject or subjectRegexp; give one", what)
	return false
}

// trustedRoot reads the trusted_root.json that v names into k.
func (d *decoder) trustedRoot(what string, v *yaml.Node, k *KeylessSigner) bool {
	p, ok := d.str(v, what+" trustedRoot")
	if !ok {
		return false
	}
	k.TrustedRootPath, k.TrustedRootFile = p, d.resolve(p)
	data, err := readBounded(k.TrustedRootFile, maxTrustedRootSize)
	if err == nil {
		k.TrustedRoot, err = root.NewTrustedRootFromJSON(data)
	}
	if err != nil {
		d.wrap(v, fmt.Errorf("loading trusted root: %w", err), "%s trustedRoot %s", what, p)
		return false
	}
	return true
}

// NeedsPublicRoot reports whether a keyless signer of p names no trusted
// root and so trusts the public Sigstore instance.
func (p *Policy) NeedsPublicRoot() bool {
	for _, s := range p.Signers {
		if c := s.Cosign; c != nil && c.Keyless != nil && c.Keyless.TrustedRoot == nil {
			return true
		}
	}
	return false
}

// UsePublicRoot gives every keyless signer that names no trusted root tr,
// the public Sigstore instance's.
func (p *Policy) UsePublicRoot(tr *root.TrustedRoot) {
	for _, s := range p.Signers {
		if c := s.Cosign; c != nil && c.Keyless != nil && c.Keyless.TrustedRoot == nil {
			c.Keyless.TrustedRoot, c.Keyless.PublicRoot = tr, true
		}
	}
}
