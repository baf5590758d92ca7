package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/notaryproject/notation-go/verifier/trustpolicy"
	"github.com/notaryproject/notation-go/verifier/truststore"
	"gopkg.in/yaml.v3"
)

// ErrNotationUnsupported is wrapped by the errors of [ImportNotation] for
// what a notation trust policy says that a vouch policy cannot say without
// changing what is verified.
var ErrNotationUnsupported = errors.New("not expressible in a vouch policy")

// maxTrustPolicySize bounds what is read from a trustpolicy.json.
const maxTrustPolicySize = 1 << 20

// ImportNotation turns a notation trust policy document (trustpolicy.json,
// version 1.0, for OCI artifacts) and the notation trust store directory
// it refers to (the one holding x509/ca, x509/signingAuthority, x509/tsa)
// into a vouch policy file, returned as YAML.
//
// Each notation trust policy becomes one vouch image policy of the same
// name and scope ("*" becomes "**") whose signatures.anyOf names its
// notation signers: one per CA trust store it lists, with the store's
// absolute path. A trust policy at level skip becomes a policy with
// skipVerification. The document is first checked with notation-go's own
// validation. What vouch cannot express (overrides that amount to no vouch
// level, verifyTimestamp afterCertExpiry, signingAuthority trust stores,
// identities other than x509.subject) is refused with an error wrapping
// [ErrNotationUnsupported] rather than weakened.
func ImportNotation(trustPolicyFile, trustStoreDir string) ([]byte, error) {
	doc, err := readNotationDocument(trustPolicyFile)
	if err != nil {
		return nil, err
	}
	storeDir, err := notationStoreDir(trustStoreDir)
	if err != nil {
		return nil, err
	}
	im := &importer{storeDir: storeDir, statements: doc.TrustPolicies, names: map[string]bool{}}
	signers := &yaml.Node{Kind: yaml.MappingNode}
	policies := &yaml.Node{Kind: yaml.SequenceNode}
	for i := range doc.TrustPolicies {
		tp := &doc.TrustPolicies[i]
		sig, pol, err := im.statement(tp)
		if err != nil {
			return nil, fmt.Errorf("notation trust policy %q: %w", tp.Name, err)
		}
		signers.Content = append(signers.Content, sig...)
		policies.Content = append(policies.Content, pol)
	}
	src, _ := filepath.Abs(trustPolicyFile)
	root := mappingNode(
		strNode("version"), strNode(Version),
		strNode("signers"), signers,
		strNode("policies"), policies)
	root.HeadComment = fmt.Sprintf("Imported from the notation trust policy %s\n"+
		"and the notation trust store %s.", src, storeDir)
	return encodeYAML(root)
}

// encodeYAML writes root as a YAML document indented by two spaces.
func encodeYAML(root *yaml.Node) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	doc := &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}}
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("writing the vouch policy: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("writing the vouch policy: %w", err)
	}
	return buf.Bytes(), nil
}

// readNotationDocument reads and validates a trustpolicy.json. Fields that
// notation-go does not know, such as a blob trust policy's, are refused
// rather than ignored.
func readNotationDocument(file string) (*trustpolicy.Document, error) {
	data, err := readBounded(file, maxTrustPolicySize)
	if err != nil {
		return nil, fmt.Errorf("reading notation trust policy: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var doc trustpolicy.Document
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("reading notation trust policy %s: %w", file, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("reading notation trust policy %s: data after the document", file)
	}
	if err := doc.Validate(); err != nil {
		return nil, fmt.Errorf("invalid notation trust policy %s: %w", file, err)
	}
	return &doc, nil
}

// notationStoreDir makes dir absolute and checks that it holds x509/.
func notationStoreDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	info, err := os.Stat(filepath.Join(abs, "x509"))
	if err == nil && info.IsDir() {
		return abs, nil
	}
	msg := fmt.Sprintf("notation trust store directory %s has no x509 directory", abs)
	if _, err := os.Stat(filepath.Join(abs, "truststore", "x509")); err == nil {
		msg += "; give " + filepath.Join(abs, "truststore") + " instead"
	}
	return "", errors.New(msg)
}

// importer turns the statements of one notation document into vouch
// signers and policies.
type importer struct {
	storeDir   string
	statements []trustpolicy.TrustPolicy
	// names holds the signer names given so far.
	names map[string]bool
}

// statement returns the signers (as mapping key and value nodes) and the
// image policy for one notation trust policy statement.
func (im *importer) statement(tp *trustpolicy.TrustPolicy) ([]*yaml.Node, *yaml.Node, error) {
	pol := mappingNode(strNode("name"), strNode(tp.Name), strNode("scope"), im.scopes(tp))
	pol.HeadComment = im.precedenceNote(tp)
	lvl, err := tp.SignatureVerification.GetVerificationLevel()
	if err != nil {
		return nil, nil, err // Validate has refused this already.
	}
	if lvl.Name == LevelSkip {
		pol.HeadComment = joinLines(pol.HeadComment, fmt.Sprintf("Notation trust policy %q "+
			"has level skip:\nno signature is verified for these images.", tp.Name))
		pol.Content = append(pol.Content, strNode("skipVerification"), boolNode(true))
		return nil, pol, nil
	}
	level, note, err := vouchLevel(lvl)
	if err != nil {
		return nil, nil, err
	}
	pol.HeadComment = joinLines(pol.HeadComment, note)
	if tp.SignatureVerification.VerifyTimestamp == trustpolicy.OptionAfterCertExpiry {
		return nil, nil, fmt.Errorf("verifyTimestamp %q: vouch has no such setting: %w",
			tp.SignatureVerification.VerifyTimestamp, ErrNotationUnsupported)
	}
	if err := checkImportIdentities(tp.TrustedIdentities); err != nil {
		return nil, nil, err
	}
	signers, names, err := im.signers(tp, level)
	if err != nil {
		return nil, nil, err
	}
	anyOf := flowSeq(names...)
	pol.Content = append(pol.Content, strNode("signatures"),
		mappingNode(strNode("anyOf"), anyOf))
	return signers, pol, nil
}

// scopes maps registry scopes to vouch scope globs.
func (im *importer) scopes(tp *trustpolicy.TrustPolicy) *yaml.Node {
	var out []string
	for _, s := range tp.RegistryScopes {
		if s == "*" {
			s = "**"
		}
		out = append(out, s)
	}
	return flowSeq(out...)
}

// precedenceNote explains, on the wildcard statement of a document that
// also names repositories, that vouch adds up policies where notation
// picks the most specific one.
func (im *importer) precedenceNote(tp *trustpolicy.TrustPolicy) string {
	if !slices.Contains(tp.RegistryScopes, "*") {
		return ""
	}
	var named []string
	for _, other := range im.statements {
		if !slices.Contains(other.RegistryScopes, "*") {
			named = append(named, other.RegistryScopes...)
		}
	}
	if len(named) == 0 {
		return ""
	}
	return fmt.Sprintf("Notation applies %q only to repositories that no other\n"+
		"trust policy names. vouch applies every policy whose scope matches,\n"+
		"so images in %s must meet this policy as well.", tp.Name, strings.Join(named, ", "))
}

// vouchLevel returns the vouch level whose checks are exactly those of
// lvl, and a note when lvl is a notation override that amounts to it.
func vouchLevel(lvl *trustpolicy.VerificationLevel) (string, string, error) {
	for _, preset := range []*trustpolicy.VerificationLevel{
		trustpolicy.LevelStrict, trustpolicy.LevelPermissive, trustpolicy.LevelAudit,
	} {
		if maps.Equal(lvl.Enforcement, preset.Enforcement) {
			note := ""
			if lvl.Name != preset.Name {
				note = fmt.Sprintf("The notation override amounts to level %s.", preset.Name)
			}
			return preset.Name, note, nil
		}
	}
	var checks []string
	for _, t := range trustpolicy.ValidationTypes {
		checks = append(checks, fmt.Sprintf("%s: %s", t, lvl.Enforcement[t]))
	}
	return "", "", fmt.Errorf("signatureVerification override gives %s, which no vouch "+
		"level (strict, permissive, audit) does: %w", strings.Join(checks, ", "),
		ErrNotationUnsupported)
}

// checkImportIdentities refuses identities vouch does not match.
func checkImportIdentities(ids []string) error {
	for _, id := range ids {
		if id != AnyIdentity && !strings.HasPrefix(id, identityPrefix) {
			return fmt.Errorf("trusted identity %q: vouch matches only x509.subject "+
				"identities and \"*\": %w", id, ErrNotationUnsupported)
		}
	}
	return nil
}

// signers returns one signer for each CA trust store of tp (and each TSA
// trust store, when it names several), and their names. Notation trusts
// the union of the stores; anyOf over the signers accepts the same
// signatures.
func (im *importer) signers(tp *trustpolicy.TrustPolicy,
	level string) ([]*yaml.Node, []string, error) {
	cas, tsas, err := im.stores(tp)
	if err != nil {
		return nil, nil, err
	}
	if len(tsas) == 0 {
		tsas = []string{""}
	}
	var nodes []*yaml.Node
	var names []string
	for _, ca := range cas {
		for _, tsa := range tsas {
			name := im.signerName(tp.Name, ca, tsa, len(cas) > 1, len(tsas) > 1)
			fields := []*yaml.Node{strNode("trustStore"), strNode(ca)}
			if tsa != "" {
				fields = append(fields, strNode("tsaTrustStore"), strNode(tsa))
			}
			fields = append(fields, strNode("identities"), flowSeq(tp.TrustedIdentities...),
				strNode("level"), strNode(level))
			nodes = append(nodes, strNode(name),
				mappingNode(strNode("notation"), mappingNode(fields...)))
			names = append(names, name)
		}
	}
	return nodes, names, nil
}

// stores returns the absolute paths of tp's CA and TSA trust stores,
// each read to check that it loads.
func (im *importer) stores(tp *trustpolicy.TrustPolicy) (cas, tsas []string, err error) {
	for _, ts := range tp.TrustStores {
		typ, name, _ := strings.Cut(ts, ":")
		dir := filepath.Join(im.storeDir, "x509", typ, name)
		switch truststore.Type(typ) {
		case truststore.TypeCA:
			cas = append(cas, dir)
		case truststore.TypeTSA:
			tsas = append(tsas, dir)
		default:
			return nil, nil, fmt.Errorf("trust store %q: vouch notation signers trust CA "+
				"and TSA trust stores only: %w", ts, ErrNotationUnsupported)
		}
		if _, err := readTrustStore(dir, truststore.Type(typ) == truststore.TypeTSA); err != nil {
			return nil, nil, fmt.Errorf("trust store %q: %w", ts, err)
		}
	}
	if len(cas) == 0 {
		return nil, nil, fmt.Errorf("no CA trust store: %w", ErrNotationUnsupported)
	}
	return cas, tsas, nil
}

// signerName names a signer after its trust policy, adding the store names
// that tell it from its siblings, and a number if that is still taken.
func (im *importer) signerName(policy, ca, tsa string, manyCA, manyTSA bool) string {
	base := policy
	if manyCA {
		base += "-" + filepath.Base(ca)
	}
	if manyTSA {
		base += "-tsa-" + filepath.Base(tsa)
	}
	name := base
	for i := 2; im.names[name]; i++ {
		name = fmt.Sprintf("%s-%d", base, i)
	}
	im.names[name] = true
	return name
}

func joinLines(a, b string) string {
	if a == "" || b == "" {
		return a + b
	}
	return a + "\n" + b
}

func strNode(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
}

func boolNode(b bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: fmt.Sprint(b)}
}

func mappingNode(kv ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.MappingNode, Content: kv}
}

func flowSeq(items ...string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
	for _, s := range items {
		n.Content = append(n.Content, strNode(s))
	}
	return n
}
