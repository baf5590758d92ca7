package registry

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Limits on what OpenLayout reads into memory.
const (
	maxLayoutIndexSize    = 4 << 20   // index.json
	maxLayoutVersionSize  = 64 << 10  // oci-layout
	maxLayoutManifestSize = 4 << 20   // one manifest
	maxLayoutManifests    = 10000     // manifests in all
	maxLayoutTotalSize    = 256 << 20 // manifests in all, in bytes
	maxLayoutDepth        = 8         // image indexes nested in index.json
)

// ociArtifactManifest is the media type of the OCI artifact manifest of
// image-spec 1.1 release candidates, which some tools still write.
const ociArtifactManifest types.MediaType = "application/vnd.oci.artifact.manifest.v1+json"

// manifestFields are the fields of a manifest or index the layout needs.
type manifestFields struct {
	MediaType    types.MediaType `json:"mediaType"`
	ArtifactType string          `json:"artifactType"`
	Config       struct {
		MediaType string `json:"mediaType"`
	} `json:"config"`
	Subject *struct {
		Digest string `json:"digest"`
	} `json:"subject"`
	Manifests   []v1.Descriptor   `json:"manifests"`
	Annotations map[string]string `json:"annotations"`
}

// layoutLoader puts a layout's manifests into the in-memory registry.
type layoutLoader struct {
	l     *Layout
	root  *os.Root
	inner http.Handler
	raw   map[v1.Hash][]byte // the manifests loaded, for tagging
	count int
	total int64
}

// load reads the layout's oci-layout and index.json, stores every manifest
// they reach in inner and records tags and referrers in l.
func (l *Layout) load(inner http.Handler) error {
	root, err := os.OpenRoot(l.dir)
	if err != nil {
		return err
	}
	defer root.Close()
	if err := checkLayoutVersion(root); err != nil {
		return err
	}
	raw, err := readLayoutFile(root, "index.json", maxLayoutIndexSize)
	if err != nil {
		return err
	}
	idx, err := v1.ParseIndexManifest(bytes.NewReader(raw))
	if err != nil {
		return fmt.Errorf("reading index.json: %w", err)
	}
	if idx.SchemaVersion != 2 {
		return fmt.Errorf("index.json has schemaVersion %d, want 2", idx.SchemaVersion)
	}
	ld := &layoutLoader{l: l, root: root, inner: inner, raw: map[v1.Hash][]byte{}}
	for _, desc := range idx.Manifests {
		if err := ld.manifest(desc, 0); err != nil {
			return err
		}
	}
	for _, desc := range idx.Manifests {
		if err := ld.tag(desc); err != nil {
			return err
		}
	}
	return ld.cosignSave(idx.Manifests)
}

// The kind annotations cosign save gives the entries of the layout it
// writes: the image (or index), and the manifests of its .sig and .att
// tags, which it records under no tag.
const (
	cosignKind       = "kind"
	cosignKindImage  = "dev.cosignproject.cosign/image"
	cosignKindIndex  = "dev.cosignproject.cosign/imageIndex"
	cosignKindSigs   = "dev.cosignproject.cosign/sigs"
	cosignKindAtts   = "dev.cosignproject.cosign/atts"
	cosignSigsSuffix = ".sig"
	cosignAttsSuffix = ".att"
)

// cosignSave serves the signatures and attestations of a layout written
// by cosign save under the sha256-<hex>.sig and .att tags where cosign's
// registry readers look for them. cosign save writes one image per
// layout, so the tags are given only when index.json lists exactly one
// image (or index) of that kind; a tag that ref.name already gives wins.
func (ld *layoutLoader) cosignSave(entries []v1.Descriptor) error {
	var image *v1.Descriptor
	for i, d := range entries {
		if k := d.Annotations[cosignKind]; k == cosignKindImage || k == cosignKindIndex {
			if image != nil {
				ld.l.logger.Debug("layout: several cosign save images; their signatures get no tags")
				return nil
			}
			image = &entries[i]
		}
	}
	if image == nil {
		return nil
	}
	base := image.Digest.Algorithm + "-" + image.Digest.Hex
	for _, d := range entries {
		var tag string
		switch d.Annotations[cosignKind] {
		case cosignKindSigs:
			tag = base + cosignSigsSuffix
		case cosignKindAtts:
			tag = base + cosignAttsSuffix
		default:
			continue
		}
		if _, taken := ld.l.tags[tag]; taken {
			continue
		}
		if _, loaded := ld.l.manifests[d.Digest]; !loaded {
			continue
		}
		if err := ld.put(tag, d.MediaType, ld.raw[d.Digest]); err != nil {
			return err
		}
		ld.l.tags[tag] = d.Digest
	}
	return nil
}

func checkLayoutVersion(root *os.Root) error {
	raw, err := readLayoutFile(root, ocispec.ImageLayoutFile, maxLayoutVersionSize)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("not an OCI image layout: %w", err)
	}
	if err != nil {
		return err
	}
	var v ocispec.ImageLayout
	if err := json.Unmarshal(raw, &v); err != nil {
		return fmt.Errorf("reading %s: %w", ocispec.ImageLayoutFile, err)
	}
	if v.Version != ocispec.ImageLayoutVersion {
		return fmt.Errorf("%s: imageLayoutVersion is %q, want %q",
			ocispec.ImageLayoutFile, v.Version, ocispec.ImageLayoutVersion)
	}
	return nil
}

// manifest loads the manifest desc describes and, for an index, the
// manifests it lists, those first, since the registry refuses an index
// whose manifests it lacks. depth is how deeply desc is nested.
func (ld *layoutLoader) manifest(desc v1.Descriptor, depth int) error {
	if mt, ok := ld.l.manifests[desc.Digest]; ok {
		if mt != desc.MediaType {
			return fmt.Errorf("manifest %s is listed as both %s and %s", desc.Digest, mt, desc.MediaType)
		}
		return nil
	}
	if !isManifestType(desc.MediaType) {
		ld.l.logger.Debug("layout: skipping a descriptor that is not a manifest",
			"digest", desc.Digest.String(), "mediaType", string(desc.MediaType))
		return nil
	}
	if depth > maxLayoutDepth {
		return fmt.Errorf("manifest %s: image indexes nested more than %d deep",
			desc.Digest, maxLayoutDepth)
	}
	raw, err := ld.read(desc)
	if err != nil {
		return err
	}
	var m manifestFields
	if err := json.Unmarshal(raw, &m); err != nil {
		return fmt.Errorf("reading manifest %s: %w", desc.Digest, err)
	}
	if m.MediaType != "" && m.MediaType != desc.MediaType {
		return fmt.Errorf("manifest %s has media type %s, but is listed as %s",
			desc.Digest, m.MediaType, desc.MediaType)
	}
	if desc.MediaType.IsIndex() {
		for _, child := range m.Manifests {
			if err := ld.manifest(child, depth+1); err != nil {
				return fmt.Errorf("in index %s: %w", desc.Digest, err)
			}
		}
	}
	if err := ld.put(desc.Digest.String(), desc.MediaType, raw); err != nil {
		return err
	}
	ld.l.manifests[desc.Digest] = desc.MediaType
	ld.raw[desc.Digest] = raw
	ld.referrer(desc, m)
	return nil
}

func isManifestType(mt types.MediaType) bool {
	return mt.IsImage() || mt.IsIndex() || mt == ociArtifactManifest
}

// read returns the bytes of the manifest desc describes, checked against
// its size and digest.
func (ld *layoutLoader) read(desc v1.Descriptor) ([]byte, error) {
	ld.count++
	if ld.count > maxLayoutManifests {
		return nil, fmt.Errorf("more than %d manifests", maxLayoutManifests)
	}
	if desc.Size < 0 || desc.Size > maxLayoutManifestSize {
		return nil, fmt.Errorf("manifest %s is %d bytes, limit %d",
			desc.Digest, desc.Size, maxLayoutManifestSize)
	}
	ld.total += desc.Size
	if ld.total > maxLayoutTotalSize {
		return nil, fmt.Errorf("manifests exceed %d bytes in all", maxLayoutTotalSize)
	}
	p, err := blobPath(desc.Digest)
	if err != nil {
		return nil, err
	}
	raw, err := readLayoutFile(ld.root, p, maxLayoutManifestSize)
	if err != nil {
		return nil, fmt.Errorf("reading manifest %s: %w", desc.Digest, err)
	}
	if int64(len(raw)) != desc.Size {
		return nil, fmt.Errorf("manifest %s is %d bytes, but is listed with size %d",
			desc.Digest, len(raw), desc.Size)
	}
	got, _, err := v1.SHA256(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("reading manifest %s: %w", desc.Digest, err)
	}
	if got != desc.Digest {
		return nil, fmt.Errorf("manifest %s does not match its digest: its content hashes to %s",
			desc.Digest, got)
	}
	return raw, nil
}

// put stores a manifest in the registry under ref, a digest or a tag.
func (ld *layoutLoader) put(ref string, mt types.MediaType, raw []byte) error {
	target := "/v2/" + ld.l.scope.RepositoryStr() + "/manifests/" + ref
	req, err := http.NewRequest(http.MethodPut, target, bytes.NewReader(raw))
	if err != nil {
		return fmt.Errorf("storing manifest %s: %w", ref, err)
	}
	req.Header.Set("Content-Type", string(mt))
	rec := httptest.NewRecorder()
	ld.inner.ServeHTTP(rec, req)
	if rec.Code != http.StatusCreated {
		return fmt.Errorf("storing manifest %s: registry answered %d: %s",
			ref, rec.Code, strings.TrimSpace(rec.Body.String()))
	}
	return nil
}

// referrer records the manifest desc describes as a referrer of its
// subject, if it has one, with the artifact type the image spec defines:
// its artifactType, else its config's media type.
func (ld *layoutLoader) referrer(desc v1.Descriptor, m manifestFields) {
	if m.Subject == nil {
		return
	}
	subject, err := v1.NewHash(m.Subject.Digest)
	if err != nil {
		ld.l.logger.Debug("layout: ignoring an unsupported subject digest",
			"digest", desc.Digest.String(), "subject", m.Subject.Digest)
		return
	}
	at := m.ArtifactType
	if at == "" {
		at = m.Config.MediaType
	}
	ld.l.referrers[subject] = append(ld.l.referrers[subject], v1.Descriptor{
		MediaType:    desc.MediaType,
		Size:         desc.Size,
		Digest:       desc.Digest,
		ArtifactType: at,
		Annotations:  m.Annotations,
	})
}

// tag serves the manifest desc describes under the tag in its ref.name
// annotation, if that is a valid tag. Two manifests with one tag are an
// error: which one the tag means is not clear.
func (ld *layoutLoader) tag(desc v1.Descriptor) error {
	tag, ok := desc.Annotations[ocispec.AnnotationRefName]
	if !ok {
		return nil
	}
	if _, loaded := ld.l.manifests[desc.Digest]; !loaded || !isTag(tag) {
		ld.l.logger.Debug("layout: ignoring a ref.name that is not a tag of a manifest",
			"digest", desc.Digest.String(), "refName", tag)
		return nil
	}
	if prev, ok := ld.l.tags[tag]; ok {
		if prev != desc.Digest {
			return fmt.Errorf("index.json gives tag %q to both %s and %s", tag, prev, desc.Digest)
		}
		return nil
	}
	if err := ld.put(tag, desc.MediaType, ld.raw[desc.Digest]); err != nil {
		return err
	}
	ld.l.tags[tag] = desc.Digest
	return nil
}
