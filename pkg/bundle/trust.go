package bundle

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"gopkg.in/yaml.v3"

	"github.com/vouchsec/vouch/pkg/policy"
)

// maxTrustFileSize bounds each policy, key and certificate file a bundle
// carries; the policy loader's own limits are lower.
const maxTrustFileSize = 4 << 20

// Where a bundle keeps the files a policy names by absolute path, and
// the policy as it was given when the bundled one had to be rewritten.
const (
	absoluteDir = "absolute"
	originalDir = "original"
)

// trustFile is a file a policy needs: where it is read from at export,
// and its slash-separated path relative to the bundle's policy root.
type trustFile struct {
	file, title string
	// data, when set, is the file's content, which is not on disk: the
	// public Sigstore instance's trusted root, fetched through TUF.
	data []byte
}

// publicRootFile is where, relative to the bundled policy, a bundle keeps
// the public Sigstore instance's trusted root for the keyless signers
// that name none: offline there is no TUF to fetch it from.
const publicRootFile = "sigstore-public-good/trusted_root.json"

// trustPlan is how a policy and its files are bundled.
type trustPlan struct {
	policy trustFile
	files  []trustFile
	// rewrite maps each absolute path the policy names to the relative
	// path that names the bundled copy instead.
	rewrite map[string]string
	// publicRoot names the keyless signers that trust the public Sigstore
	// instance: the bundled policy names publicRootFile for them.
	publicRoot []string
}

// writeTrust writes the policy file and the key and certificate files it
// names as the bundle's policy and trust entries. Their titles keep the
// files where the policy looks for them, relative to each other, so the
// policy reads them unchanged once they are laid out again. A policy
// that names files by absolute paths is bundled rewritten to name the
// bundled copies, with the policy as given beside it.
func writeTrust(w *layoutWriter, pol *policy.Policy) error {
	plan, err := planTrust(pol)
	if err != nil {
		return fmt.Errorf("bundling the policy: %w", err)
	}
	raw, err := readTrustFile(plan.policy.file)
	if err != nil {
		return fmt.Errorf("bundling the policy: %w", err)
	}
	used := raw
	rewritten := len(plan.rewrite) > 0 || len(plan.publicRoot) > 0
	if rewritten {
		if used, err = relativize(raw, plan.rewrite, plan.publicRoot); err != nil {
			return fmt.Errorf("bundling the policy: %w", err)
		}
	}
	files := []struct {
		title string
		data  []byte
	}{{plan.policy.title, used}}
	if rewritten {
		files = append(files, struct {
			title string
			data  []byte
		}{originalDir + "/" + path.Base(plan.policy.title), raw})
	}
	var layers []v1.Descriptor
	for _, f := range files {
		desc, err := titled(w, mediaTypeYAML, f.title, f.data)
		if err != nil {
			return err
		}
		layers = append(layers, desc)
	}
	if _, err := w.artifact(KindPolicy, ArtifactTypePolicy, layers); err != nil {
		return err
	}
	return writeTrustFiles(w, plan.files)
}

func writeTrustFiles(w *layoutWriter, files []trustFile) error {
	if len(files) == 0 {
		return nil
	}
	var layers []v1.Descriptor
	for _, f := range files {
		data := f.data
		if data == nil {
			var err error
			if data, err = readTrustFile(f.file); err != nil {
				return fmt.Errorf("bundling the policy: %w", err)
			}
		}
		desc, err := titled(w, mediaTypeFile, f.title, data)
		if err != nil {
			return err
		}
		layers = append(layers, desc)
	}
	_, err := w.artifact(KindTrust, ArtifactTypeTrust, layers)
	return err
}

func titled(w *layoutWriter, mt types.MediaType, title string, data []byte) (v1.Descriptor, error) {
	desc, err := w.bytes(mt, data)
	if err != nil {
		return v1.Descriptor{}, err
	}
	desc.Annotations = map[string]string{annotationTitle: title}
	return desc, nil
}

func readTrustFile(file string) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxTrustFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", file, err)
	}
	if len(data) > maxTrustFileSize {
		return nil, fmt.Errorf("%s is more than %d bytes", file, maxTrustFileSize)
	}
	return data, nil
}

// planTrust lists the files the policy's signers name, each once. The
// policy and the files it names by relative paths get titles relative to
// the deepest directory that holds them all; a file named by an absolute
// path goes under absolute/ with that path, and the policy is to be
// rewritten to name it there.
func planTrust(pol *policy.Policy) (*trustPlan, error) {
	policyFile, err := filepath.Abs(pol.Path)
	if err != nil {
		return nil, err
	}
	relFiles := []string{policyFile}
	var absPaths []string
	for _, n := range slices.Sorted(maps.Keys(pol.Signers)) {
		written, resolved := signerPaths(pol.Signers[n])
		for i, p := range written {
			if filepath.IsAbs(p) {
				absPaths = append(absPaths, p)
				continue
			}
			more, err := expandStore(resolved[i])
			if err != nil {
				return nil, fmt.Errorf("signer %q: %w", n, err)
			}
			relFiles = append(relFiles, more...)
		}
	}
	plan := &trustPlan{rewrite: map[string]string{}}
	root := commonRoot(relFiles)
	for i, f := range relFiles {
		rel, err := filepath.Rel(root, f)
		if err != nil {
			return nil, err
		}
		plan.add(i == 0, trustFile{file: f, title: filepath.ToSlash(rel)})
	}
	for _, p := range absPaths {
		if err := plan.absolute(p); err != nil {
			return nil, err
		}
	}
	return plan, plan.addPublicRoot(pol)
}

// addPublicRoot bundles the public Sigstore instance's trusted root, as
// the caller fetched it, for the keyless signers that name no file.
func (p *trustPlan) addPublicRoot(pol *policy.Policy) error {
	var data []byte
	for _, n := range slices.Sorted(maps.Keys(pol.Signers)) {
		c := pol.Signers[n].Cosign
		if c == nil || c.Keyless == nil || !c.Keyless.PublicRoot || c.Keyless.TrustedRoot == nil {
			continue
		}
		if data == nil {
			var err error
			if data, err = c.Keyless.TrustedRoot.MarshalJSON(); err != nil {
				return fmt.Errorf("encoding the public Sigstore trusted root: %w", err)
			}
		}
		p.publicRoot = append(p.publicRoot, n)
	}
	if data != nil {
		p.add(false, trustFile{data: data,
			title: path.Join(path.Dir(p.policy.title), publicRootFile)})
	}
	return nil
}

// add records f, unless a file of that title is recorded already.
func (p *trustPlan) add(isPolicy bool, f trustFile) {
	if isPolicy {
		p.policy = f
		return
	}
	if f.title == p.policy.title || slices.ContainsFunc(p.files, func(g trustFile) bool {
		return g.title == f.title
	}) {
		return
	}
	p.files = append(p.files, f)
}

// absolute records the file or trust store directory at the absolute path
// abs under absolute/, and how the policy is to name it.
func (p *trustPlan) absolute(abs string) error {
	title := absoluteDir + filepath.ToSlash(filepath.Clean(abs))
	files, err := expandStore(abs)
	if err != nil {
		return err
	}
	for _, f := range files {
		rel, err := filepath.Rel(abs, f)
		if err != nil {
			return err
		}
		p.add(false, trustFile{file: f, title: path.Join(title, filepath.ToSlash(rel))})
	}
	rel, err := filepath.Rel(filepath.FromSlash(path.Dir(p.policy.title)), filepath.FromSlash(title))
	if err != nil {
		return err
	}
	p.rewrite[abs] = filepath.ToSlash(rel)
	return nil
}

// signerPaths returns the file paths a signer names, as written and as
// the policy loader resolved them.
func signerPaths(s *policy.Signer) (written, resolved []string) {
	if c := s.Cosign; c != nil && c.KeyPath != "" {
		written, resolved = append(written, c.KeyPath), append(resolved, c.KeyFile)
	}
	if c := s.Cosign; c != nil && c.TrustedRootPath != "" {
		written, resolved = append(written, c.TrustedRootPath), append(resolved, c.TrustedRootFile)
	}
	if c := s.Cosign; c != nil && c.Keyless != nil {
		k := c.Keyless
		written, resolved = append(written, k.TrustedRootPath), append(resolved, k.TrustedRootFile)
	}
	if n := s.Notation; n != nil {
		if n.TrustStorePath != "" {
			written, resolved = append(written, n.TrustStorePath), append(resolved, n.TrustStoreFile)
		}
		if n.TSATrustStorePath != "" {
			written, resolved = append(written, n.TSATrustStorePath), append(resolved, n.TSATrustStoreFile)
		}
	}
	return written, resolved
}

// expandStore returns the absolute path of path itself, or for a trust
// store directory of the files in it, as the policy loader reads them.
func expandStore(p string) ([]string, error) {
	p, err := filepath.Abs(p)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return []string{p}, nil
	}
	entries, err := os.ReadDir(p)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if !e.Type().IsRegular() {
			return nil, fmt.Errorf("%s: %s is not a regular file", p, e.Name())
		}
		out = append(out, filepath.Join(p, e.Name()))
	}
	return out, nil
}

// commonRoot returns the deepest directory that holds every file of abs,
// absolute paths all.
func commonRoot(abs []string) string {
	root := filepath.Dir(abs[0])
	for _, a := range abs[1:] {
		for !within(root, a) {
			root = filepath.Dir(root)
		}
	}
	return root
}

func within(dir, file string) bool {
	rel, err := filepath.Rel(dir, file)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// relativize returns the policy data with each file path its signers
// name replaced as rewrite says, and publicRootFile named as the trusted
// root of the keyless signers in publicRoot, re-encoded (comments kept,
// layout normalized).
func relativize(data []byte, rewrite map[string]string, publicRoot []string) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 {
		return nil, errors.New("the policy is empty")
	}
	signers := mapValue(doc.Content[0], "signers")
	if signers == nil || signers.Kind != yaml.MappingNode {
		return nil, errors.New("the policy has no signers")
	}
	for i := 1; i < len(signers.Content); i += 2 {
		s := signers.Content[i]
		if k := mapValue(mapValue(s, "cosign"), "keyless"); k != nil &&
			slices.Contains(publicRoot, signers.Content[i-1].Value) && mapValue(k, "trustedRoot") == nil {
			k.Content = append(k.Content,
				&yaml.Node{Kind: yaml.ScalarNode, Value: "trustedRoot"},
				&yaml.Node{Kind: yaml.ScalarNode, Value: publicRootFile, Style: yaml.DoubleQuotedStyle})
		}
		for _, n := range []*yaml.Node{
			mapValue(mapValue(s, "cosign"), "key"),
			mapValue(mapValue(s, "cosign"), "trustedRoot"),
			mapValue(mapValue(mapValue(s, "cosign"), "keyless"), "trustedRoot"),
			mapValue(mapValue(s, "notation"), "trustStore"),
			mapValue(mapValue(s, "notation"), "tsaTrustStore"),
		} {
			if r, ok := rewrite[nodeValue(n)]; ok {
				n.Value, n.Style = r, yaml.DoubleQuotedStyle
			}
		}
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// mapValue returns the value of key in the mapping n, or nil.
func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func nodeValue(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}
