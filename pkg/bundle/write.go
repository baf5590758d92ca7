package bundle

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// layoutWriter writes an OCI image layout into a directory of its own:
// blobs checked against their digests as they are written, and
// index.json listing the entries added.
type layoutWriter struct {
	dir     string
	blobs   map[v1.Hash]bool
	entries []v1.Descriptor
	size    int64 // bytes of the blobs written
}

func newLayoutWriter(dir string) (*layoutWriter, error) {
	if err := os.MkdirAll(filepath.Join(dir, "blobs", "sha256"), 0o755); err != nil {
		return nil, fmt.Errorf("writing bundle: %w", err)
	}
	layout, err := json.Marshal(ocispec.ImageLayout{Version: ocispec.ImageLayoutVersion})
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, ocispec.ImageLayoutFile), layout, 0o644); err != nil {
		return nil, fmt.Errorf("writing bundle: %w", err)
	}
	return &layoutWriter{dir: dir, blobs: map[v1.Hash]bool{}}, nil
}

// has reports whether the blob h was written.
func (w *layoutWriter) has(h v1.Hash) bool { return w.blobs[h] }

// blob writes the blob desc describes from r, which must yield exactly
// desc.Size bytes that hash to desc.Digest. A blob already written is not
// read again.
func (w *layoutWriter) blob(desc v1.Descriptor, r io.Reader) error {
	if w.blobs[desc.Digest] {
		return nil
	}
	if desc.Digest.Algorithm != "sha256" || len(desc.Digest.Hex) != 2*sha256.Size {
		return fmt.Errorf("blob %s: only sha256 digests are supported", desc.Digest)
	}
	f, err := os.CreateTemp(filepath.Join(w.dir, "blobs", "sha256"), ".tmp-*")
	if err != nil {
		return fmt.Errorf("writing blob %s: %w", desc.Digest, err)
	}
	defer os.Remove(f.Name())
	hash := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, hash), io.LimitReader(r, desc.Size+1))
	if err == nil {
		err = f.Chmod(0o644)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	switch got := hex.EncodeToString(hash.Sum(nil)); {
	case err != nil:
		return fmt.Errorf("writing blob %s: %w", desc.Digest, err)
	case n != desc.Size:
		return fmt.Errorf("blob %s: read %d bytes, want %d", desc.Digest, n, desc.Size)
	case got != desc.Digest.Hex:
		return fmt.Errorf("blob %s: content hashes to sha256:%s", desc.Digest, got)
	}
	final := filepath.Join(w.dir, "blobs", "sha256", desc.Digest.Hex)
	if err := os.Rename(f.Name(), final); err != nil {
		return fmt.Errorf("writing blob %s: %w", desc.Digest, err)
	}
	w.blobs[desc.Digest] = true
	w.size += n
	return nil
}

// bytes writes data as a blob of media type mt and returns its descriptor.
func (w *layoutWriter) bytes(mt types.MediaType, data []byte) (v1.Descriptor, error) {
	h, n, err := v1.SHA256(bytes.NewReader(data))
	if err != nil {
		return v1.Descriptor{}, err
	}
	desc := v1.Descriptor{MediaType: mt, Size: n, Digest: h}
	return desc, w.blob(desc, bytes.NewReader(data))
}

// add lists desc in index.json.
func (w *layoutWriter) add(desc v1.Descriptor) {
	for _, e := range w.entries {
		if e.Digest == desc.Digest {
			return
		}
	}
	w.entries = append(w.entries, desc)
}

// writeIndex writes index.json with the entries added so far. It may be
// called again as entries are added.
func (w *layoutWriter) writeIndex() error {
	idx := v1.IndexManifest{
		SchemaVersion: 2,
		MediaType:     types.OCIImageIndex,
		Manifests:     w.entries,
		Annotations:   map[string]string{AnnotationVersion: FormatVersion},
	}
	raw, err := json.MarshalIndent(idx, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(w.dir, ".index.json.tmp")
	if err := os.WriteFile(tmp, raw, 0o644); err != nil {
		return fmt.Errorf("writing index.json: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(w.dir, "index.json")); err != nil {
		return fmt.Errorf("writing index.json: %w", err)
	}
	return nil
}

// artifact writes an OCI image manifest of artifact type at with an empty
// config and the given layers, and lists it in index.json as kind.
func (w *layoutWriter) artifact(kind Kind, at string, layers []v1.Descriptor) (
	v1.Descriptor, error) {
	cfg, err := w.bytes(emptyConfigType, emptyConfig)
	if err != nil {
		return v1.Descriptor{}, err
	}
	m := struct {
		SchemaVersion int             `json:"schemaVersion"`
		MediaType     types.MediaType `json:"mediaType"`
		ArtifactType  string          `json:"artifactType"`
		Config        v1.Descriptor   `json:"config"`
		Layers        []v1.Descriptor `json:"layers"`
	}{2, types.OCIManifestSchema1, at, cfg, layers}
	raw, err := json.Marshal(m)
	if err != nil {
		return v1.Descriptor{}, err
	}
	desc, err := w.bytes(types.OCIManifestSchema1, raw)
	if err != nil {
		return v1.Descriptor{}, err
	}
	desc.ArtifactType = at
	desc.Annotations = map[string]string{AnnotationKind: string(kind)}
	w.add(desc)
	return desc, nil
}
