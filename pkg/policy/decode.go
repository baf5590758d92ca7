package policy

import (
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// policy decodes the root mapping.
func (d *decoder) policy(root *yaml.Node) *Policy {
	p := &Policy{Signers: map[string]*Signer{}}
	f, ok := d.mapping(root, "policy file", "version", "signers", "policies")
	if !ok {
		return p
	}
	if v := d.required(f, "version"); v != nil {
		if s, ok := d.str(v, "version"); ok && s != Version {
			d.errorf(v, "unsupported version %q; this vouch reads version %s", s, Version)
		}
		p.Version = v.Value
	}
	known := map[string]bool{}
	sv := d.required(f, "signers")
	if sv == nil || !d.signers(sv, p, known) {
		known = nil // Do not report references to a broken signers section.
	}
	if v := d.required(f, "policies"); v != nil {
		p.Policies = d.imagePolicies(v, known)
	}
	if sv != nil && sv.Kind == yaml.MappingNode && len(sv.Content) == 0 && !onlySkips(p.Policies) {
		d.errorf(sv, "signers is empty; name at least one signer")
	}
	return p
}

// onlySkips reports whether every policy skips verification; such a file
// needs no signers.
func onlySkips(ps []*ImagePolicy) bool {
	for _, ip := range ps {
		if !ip.SkipVerification {
			return false
		}
	}
	return true
}

// signers decodes the signers mapping into p. known collects every signer
// name given, including those that fail to load, so that references to
// them are not reported a second time. It returns false when the section
// is not a mapping or is empty; an empty one is reported by the caller,
// unless every policy skips verification.
func (d *decoder) signers(n *yaml.Node, p *Policy, known map[string]bool) bool {
	if !d.expectKind(n, yaml.MappingNode, "signers") {
		return false
	}
	if len(n.Content) == 0 {
		return false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		name, ok := d.str(k, "signer name")
		if !ok {
			continue
		}
		if known[name] {
			d.errorf(k, "signer %q is defined twice", name)
			continue
		}
		known[name] = true
		if s := d.signer(name, k, v); s != nil {
			p.Signers[name] = s
		}
	}
	return true
}

// signer decodes one signer; key is the node of its name.
func (d *decoder) signer(name string, key, n *yaml.Node) *Signer {
	what := fmt.Sprintf("signer %q", name)
	f, ok := d.mapping(n, what, "cosign", "notation")
	if !ok {
		return nil
	}
	if len(f.vals) > 1 {
		d.errorf(n, "%s has more than one kind; give exactly one", what)
		return nil
	}
	s := &Signer{Name: name, Pos: d.pos(key)}
	switch {
	case f.value("cosign") != nil:
		s.Cosign = d.cosignSigner(what, f.value("cosign"))
	case f.value("notation") != nil:
		s.Notation = d.notationSigner(what, f.value("notation"))
	default:
		d.errorf(key, "%s has no kind; give cosign or notation", what)
	}
	if s.Kind() == "" {
		return nil
	}
	return s
}

// cosignSigner decodes a cosign signer: a public key, which it loads with
// its optional trusted root, or a keyless identity with its trusted root.
func (d *decoder) cosignSigner(what string, n *yaml.Node) *CosignSigner {
	f, ok := d.mapping(n, what+" cosign", "key", "keyless", "trustedRoot")
	if !ok {
		return nil
	}
	if kv := f.value("keyless"); kv != nil {
		if f.value("key") != nil {
			d.errorf(f.keys["keyless"], "%s cosign has both key and keyless; give one", what)
			return nil
		}
		if f.value("trustedRoot") != nil {
			d.errorf(f.keys["trustedRoot"], "%s cosign trustedRoot is for a key; "+
				"give a keyless signer's trusted root under keyless", what)
			return nil
		}
		k := d.keylessSigner(what, f.keys["keyless"], kv)
		if k == nil {
			return nil
		}
		return &CosignSigner{Keyless: k}
	}
	v := f.value("key")
	if v == nil {
		d.errorf(n, "%s cosign is missing required field \"key\" (or keyless)", what)
		return nil
	}
	keyPath, ok := d.str(v, "cosign key")
	if !ok {
		return nil
	}
	c := &CosignSigner{KeyPath: keyPath, KeyFile: d.resolve(keyPath)}
	pub, err := readPublicKey(c.KeyFile)
	if err != nil {
		d.wrap(v, err, "%s: cosign key %s", what, keyPath)
		return nil
	}
	c.PublicKey = pub
	if tv := f.value("trustedRoot"); tv != nil && !d.keyTrustedRoot(what, tv, c) {
		return nil
	}
	return c
}

// keyTrustedRoot reads a key signer's trusted_root.json with the keyless
// signer's loader.
func (d *decoder) keyTrustedRoot(what string, v *yaml.Node, c *CosignSigner) bool {
	var k KeylessSigner
	if !d.trustedRoot(what+" cosign", v, &k) {
		return false
	}
	c.TrustedRootPath, c.TrustedRootFile, c.TrustedRoot = k.TrustedRootPath, k.TrustedRootFile,
		k.TrustedRoot
	return true
}

// checkSigners reports each name in names that is not a known signer.
// A nil known checks nothing.
func (d *decoder) checkSigners(names []string, nodes []*yaml.Node, field string,
	known map[string]bool) {
	if known == nil {
		return
	}
	for i, name := range names {
		if !known[name] {
			d.errorf(nodes[i], "unknown signer %q in %s; signers are: %s",
				name, field, strings.Join(sortedKeys(known), ", "))
		}
	}
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
