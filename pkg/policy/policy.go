package policy

import (
	"crypto"
	"crypto/x509"
	"net/url"
	"strings"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"
)

// Version is the only policy file version this package reads.
const Version = "v1"

// The attestation types a policy can require.
const (
	// TypeSBOM is an SBOM in either SPDX or CycloneDX form.
	TypeSBOM = "sbom"
	// TypeSPDX is an SPDX SBOM.
	TypeSPDX = "spdx"
	// TypeCycloneDX is a CycloneDX SBOM.
	TypeCycloneDX = "cyclonedx"
	// TypeVuln is a vulnerability scan result.
	TypeVuln = "vuln"
	// TypeProvenance is SLSA build provenance, v0.2 or v1.
	TypeProvenance = "provenance"
)

// The in-toto predicate types the attestation types stand for.
const (
	PredicateSPDX      = "https://spdx.dev/Document"
	PredicateCycloneDX = "https://cyclonedx.org/bom"
	PredicateVuln      = "https://cosign.sigstore.dev/attestation/vuln/v1"
	PredicateSLSAv02   = "https://slsa.dev/provenance/v0.2"
	PredicateSLSAv1    = "https://slsa.dev/provenance/v1"
)

// Policy is a loaded and validated trust policy file.
type Policy struct {
	// Version is the file's schema version, always "v1" for now.
	Version string
	// Path is the file the policy was read from.
	Path string
	// Signers are the trusted signers by name.
	Signers map[string]*Signer
	// Policies are the image policies in file order.
	Policies []*ImagePolicy
}

// Signer is a named source of trust. Exactly one kind is set.
type Signer struct {
	Name     string
	Cosign   *CosignSigner
	Notation *NotationSigner
	// Pos is where the signer is named in the file.
	Pos Position
}

// Kind names the signer's kind, "cosign" or "notation".
func (s *Signer) Kind() string {
	switch {
	case s.Cosign != nil:
		return "cosign"
	case s.Notation != nil:
		return "notation"
	}
	return ""
}

// The Notary Project trust-policy verification levels.
const (
	LevelStrict     = "strict"
	LevelPermissive = "permissive"
	LevelAudit      = "audit"
	LevelSkip       = "skip"
)

// NotationSigner trusts Notary Project (notation) signatures whose
// certificate chain is anchored in TrustStore and whose signing certificate
// matches one of Identities.
type NotationSigner struct {
	// TrustStorePath is the trust store as the policy writes it: a PEM file
	// of CA roots, or a directory of PEM or DER certificate files.
	TrustStorePath string
	// TrustStoreFile is TrustStorePath resolved against the policy file's
	// directory when relative: the file or directory read.
	TrustStoreFile string
	// TrustStore holds the certificates read from it, never empty. Each is
	// a CA certificate or a self-signed signing certificate, as in a
	// notation trust store.
	TrustStore []*x509.Certificate
	// TSATrustStorePath, TSATrustStoreFile and TSATrustStore are the same
	// for the root certificates of the timestamp authorities whose
	// countersignatures are trusted; empty when the policy trusts none.
	TSATrustStorePath string
	TSATrustStoreFile string
	TSATrustStore     []*x509.Certificate
	// Identities are "x509.subject: <distinguished name>" entries, or the
	// single entry "*" for any certificate the trust store anchors. They
	// follow the Notary Project's rules: each names at least C, ST and O,
	// and no two overlap.
	Identities []string
	// Level is one of the Level constants; strict when the file gives none.
	Level string
}

// CosignSigner is a cosign public key, or with Keyless set a keyless
// (Fulcio certificate) identity, in which case the key fields are empty.
type CosignSigner struct {
	// Keyless is the identity and trusted root of a keyless signer; nil
	// for a key.
	Keyless *KeylessSigner
	// KeyPath is the key file as the policy writes it.
	KeyPath string
	// KeyFile is the file the key was read from: KeyPath, resolved against
	// the policy file's directory when relative.
	KeyFile string
	// PublicKey is the parsed key (ECDSA, RSA or Ed25519).
	PublicKey crypto.PublicKey
	// TrustedRootPath is a key signer's optional trusted_root.json as the
	// policy writes it, and TrustedRootFile the file read.
	TrustedRootPath string
	TrustedRootFile string
	// TrustedRoot holds the transparency logs and timestamp authorities
	// that a key-signed Sigstore bundle's log entry or timestamp is checked
	// against; nil when the file gives none, and then such a bundle does
	// not verify. Classic cosign signatures do not use it.
	TrustedRoot *root.TrustedRoot
}

// ImagePolicy is the set of rules for the images in its scope.
type ImagePolicy struct {
	Name string
	// Scope lists registry/repository globs as written in the file.
	Scope []string
	// Signatures is nil when the policy requires no image signature.
	Signatures   *SignatureRule
	Attestations []*AttestationRule
	// SkipVerification is set when the file says skipVerification: true,
	// as for a notation trust policy at level skip: the policy requires
	// nothing, and Signatures and Attestations are empty.
	SkipVerification bool
	// Image constrains the image's configuration (its user, labels, base
	// image, environment and layers); nil when the policy has no image
	// rules.
	Image *ImageRules
	// Rego is a custom rule over the image's configuration; nil when the
	// policy has none.
	Rego *RegoRule
	Pos  Position

	globs []*scopeGlob
}

// Matches reports whether repo (registry/repository, without tag or
// digest, as name.Repository.Name prints it) is in the policy's scope.
func (ip *ImagePolicy) Matches(repo string) bool {
	globs := ip.globs
	if globs == nil {
		// Built by hand rather than loaded: compile on the fly and skip
		// what does not compile.
		for _, s := range ip.Scope {
			if g, err := compileScope(s); err == nil {
				globs = append(globs, g)
			}
		}
	}
	for _, g := range globs {
		if g.match(repo) {
			return true
		}
	}
	return false
}

// Match returns every policy whose scope matches repo (registry/repository,
// no tag or digest), in file order. All of them apply to the image; none
// means the image is not allowed.
func (p *Policy) Match(repo string) []*ImagePolicy {
	var out []*ImagePolicy
	for _, ip := range p.Policies {
		if ip.Matches(repo) {
			out = append(out, ip)
		}
	}
	return out
}

// SignatureRule says which signers must have signed the image. When more
// than one condition is given, every one of them must hold.
type SignatureRule struct {
	// AnyOf holds when at least one of these signers signed the image.
	AnyOf []string
	// AllOf holds when every one of these signers signed the image.
	AllOf []string
	// Threshold, when set, holds when enough of its signers signed the
	// image.
	Threshold *Threshold
	Pos       Position
}

// Threshold requires signatures by at least Count distinct signers among
// Of, whatever their kind: cosign and notation signers count alike.
type Threshold struct {
	// Count is between 1 and len(Of).
	Count int
	// Of names distinct signers.
	Of  []string
	Pos Position
}

// AttestationRule requires an attestation of one type.
type AttestationRule struct {
	// Type is one of TypeSBOM, TypeSPDX, TypeCycloneDX, TypeVuln or
	// TypeProvenance, or a predicate type URI the statement must have
	// exactly.
	Type string
	// SignedBy lists the signers whose key may have signed the
	// attestation's envelope; one of them is enough.
	SignedBy []string
	// MaxAge is the oldest the attestation may be; zero means no limit.
	MaxAge time.Duration
	// Rules constrain a vuln attestation's findings; nil for other types
	// and for vuln attestations without rules.
	Rules *VulnRules
	// SBOM constrains the content of an SBOM attestation (type sbom, spdx
	// or cyclonedx); nil for other types and for SBOMs without rules.
	SBOM *SBOMRules
	// Rego is a custom rule over the attestation's statement; nil when the
	// requirement has none.
	Rego *RegoRule
	Pos  Position
}

// PredicateTypes returns the in-toto predicate types that satisfy the
// rule's type, narrowed by the SBOM rules' format when there is one: type
// sbom with format spdx accepts what type spdx accepts.
func (a *AttestationRule) PredicateTypes() []string {
	typ := a.Type
	if a.Type == TypeSBOM && a.SBOM != nil {
		switch a.SBOM.Format {
		case FormatSPDX, FormatCycloneDX:
			typ = a.SBOM.Format
		}
	}
	switch typ {
	case TypeSBOM:
		return []string{PredicateSPDX, PredicateCycloneDX}
	case TypeSPDX:
		return []string{PredicateSPDX}
	case TypeCycloneDX:
		return []string{PredicateCycloneDX}
	case TypeVuln:
		return []string{PredicateVuln}
	case TypeProvenance:
		return []string{PredicateSLSAv02, PredicateSLSAv1}
	}
	if isPredicateURI(typ) {
		return []string{typ}
	}
	return nil
}

// isPredicateURI reports whether an attestation type is a predicate type
// URI, which the statement must carry exactly, rather than a short name.
func isPredicateURI(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme != "" && u.Host != ""
}

// VulnRules constrain the findings of a vulnerability scan. Findings an
// active waiver covers count toward neither MaxSeverity nor MaxCount.
type VulnRules struct {
	// MaxSeverity is the highest severity allowed among findings that no
	// active waiver covers. It applies only when HasMaxSeverity is set.
	MaxSeverity    Severity
	HasMaxSeverity bool
	// MaxCount is the most findings of a severity allowed, by severity;
	// severities it does not name have no limit.
	MaxCount map[Severity]int
	// FixedOnly limits MaxSeverity and MaxCount to findings the scanner
	// knows a fixed version for.
	FixedOnly bool
	Waivers   []Waiver
}

// Waiver excuses one vulnerability until a time.
type Waiver struct {
	// ID is the vulnerability's identifier, such as a CVE or GHSA id.
	ID string
	// Package, when set, limits the waiver to findings in the package of
	// that name; empty means every package.
	Package string
	Reason  string
	// Until is the last instant the waiver holds. A date in the file means
	// the last nanosecond of that day, UTC.
	Until time.Time
	Pos   Position
}

// Active reports whether the waiver still holds at the given time.
func (w Waiver) Active(at time.Time) bool {
	return !at.After(w.Until)
}

// Covers reports whether the waiver is about the finding id in package
// pkg, whether or not it is still active. IDs compare without regard to
// letter case, package names exactly.
func (w Waiver) Covers(id, pkg string) bool {
	return strings.EqualFold(w.ID, id) && (w.Package == "" || w.Package == pkg)
}

// Waiver returns the active waiver for the vulnerability id in package
// pkg at the given time, or nil.
func (r *VulnRules) Waiver(id, pkg string, at time.Time) *Waiver {
	for i := range r.Waivers {
		if r.Waivers[i].Covers(id, pkg) && r.Waivers[i].Active(at) {
			return &r.Waivers[i]
		}
	}
	return nil
}
