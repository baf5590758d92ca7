package verify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/vouchsec/vouch/pkg/policy"
)

// ImageReader reads what an image is made of, by digest: its manifest and
// its config blob, for the image rules and Rego rules of a policy. The
// engine checks what it returns against the digests it asked for.
type ImageReader interface {
	// Manifest returns the manifest d names and its media type.
	Manifest(ctx context.Context, d name.Digest) ([]byte, types.MediaType, error)
	// Blob returns the blob d names in d's repository, refusing one of
	// more than maxSize bytes.
	Blob(ctx context.Context, d name.Digest, maxSize int64) ([]byte, error)
}

// Limits on what the engine reads of an image.
const (
	// maxConfigSize bounds an image config blob.
	maxConfigSize = 4 << 20
	// maxPlatforms bounds how many images of an index are read.
	maxPlatforms = 64
)

// Annotations of the images buildx attaches to an index to carry
// attestations: not runnable images, so not judged.
const (
	annotationReferenceType = "vnd.docker.reference.type"
	attestationManifest     = "attestation-manifest"
)

// imageConfig is one image's configuration, as the image rules and Rego
// read it.
type imageConfig struct {
	// platform names the image within an index ("linux/arm64"); empty
	// for an image that is not in an index.
	platform string
	// annotations are the manifest's annotations, completed by the
	// index's descriptor of it and the index's own.
	annotations map[string]string
	layers      int
	file        *v1.ConfigFile
	// raw is the config file as JSON values, for Rego.
	raw any
}

// contentError is an image whose manifest or config cannot be read as an
// image: the rules that need it fail, with this as the reason.
type contentError struct{ err error }

func (e *contentError) Error() string { return e.err.Error() }
func (e *contentError) Unwrap() error { return e.err }

func contentErrorf(format string, args ...any) error {
	return &contentError{fmt.Errorf(format, args...)}
}

// readImage reads the configuration of the image d names or, for an
// index, of every platform's image. Reading errors come back as they are;
// content that is not an image is a *contentError.
func readImage(ctx context.Context, r ImageReader, d name.Digest) ([]*imageConfig, error) {
	raw, mt, err := readManifest(ctx, r, d)
	if err != nil {
		return nil, err
	}
	if mt.IsIndex() {
		return readIndex(ctx, r, d, raw)
	}
	img, err := readPlatform(ctx, r, d, raw, mt, nil)
	if err != nil {
		return nil, err
	}
	return []*imageConfig{img}, nil
}

// readManifest reads and checks the manifest d names, taking its media
// type from the reader or else from the manifest itself.
func readManifest(ctx context.Context, r ImageReader, d name.Digest) (
	[]byte, types.MediaType, error,
) {
	raw, mt, err := r.Manifest(ctx, d)
	if err != nil {
		return nil, "", fmt.Errorf("reading manifest %s: %w", d.DigestStr(), err)
	}
	if err := checkDigest(raw, d); err != nil {
		return nil, "", fmt.Errorf("manifest %s: %w", d.DigestStr(), err)
	}
	if mt == "" {
		var m struct {
			MediaType types.MediaType `json:"mediaType"`
		}
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, "", contentErrorf("manifest %s is not JSON: %v", d.DigestStr(), err)
		}
		mt = m.MediaType
	}
	return raw, mt, nil
}

func checkDigest(raw []byte, d name.Digest) error {
	want, err := v1.NewHash(d.DigestStr())
	if err != nil {
		return err
	}
	got, _, err := v1.SHA256(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	if want != got {
		return fmt.Errorf("content has digest %s", got)
	}
	return nil
}

// readIndex reads the image of every platform an index lists, leaving
// out buildx's attestation manifests.
func readIndex(ctx context.Context, r ImageReader, d name.Digest, raw []byte) (
	[]*imageConfig, error,
) {
	idx, err := v1.ParseIndexManifest(bytes.NewReader(raw))
	if err != nil {
		return nil, contentErrorf("index %s: %v", d.DigestStr(), err)
	}
	var out []*imageConfig
	for _, desc := range idx.Manifests {
		switch {
		case desc.Annotations[annotationReferenceType] == attestationManifest,
			desc.Platform != nil && desc.Platform.OS == "unknown":
			continue
		case desc.MediaType.IsIndex():
			return nil, contentErrorf("index %s lists another index, %s; nested indexes "+
				"are not read", d.DigestStr(), desc.Digest)
		case !desc.MediaType.IsImage():
			continue
		}
		if len(out) == maxPlatforms {
			return nil, contentErrorf("index %s lists more than %d images", d.DigestStr(),
				maxPlatforms)
		}
		child := d.Context().Digest(desc.Digest.String())
		craw, mt, err := readManifest(ctx, r, child)
		if err != nil {
			return nil, err
		}
		inherited := maps.Clone(idx.Annotations)
		if inherited == nil {
			inherited = map[string]string{}
		}
		maps.Copy(inherited, desc.Annotations)
		img, err := readPlatform(ctx, r, child, craw, mt, inherited)
		if err != nil {
			return nil, err
		}
		img.platform = platformName(desc.Platform, img.file, desc.Digest)
		out = append(out, img)
	}
	if len(out) == 0 {
		return nil, contentErrorf("index %s lists no images", d.DigestStr())
	}
	return out, nil
}

func platformName(p *v1.Platform, cf *v1.ConfigFile, h v1.Hash) string {
	switch {
	case p != nil && p.OS != "":
		return p.String()
	case cf.OS != "":
		return (&v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant}).String()
	}
	return h.String()
}

// readPlatform reads the config of the image manifest raw, which d
// names. inherited are annotations from an index, which the manifest's
// own override.
func readPlatform(ctx context.Context, r ImageReader, d name.Digest, raw []byte,
	mt types.MediaType, inherited map[string]string) (*imageConfig, error) {
	if !mt.IsImage() {
		return nil, contentErrorf("%s is not an image but %s", d.DigestStr(), describeType(mt))
	}
	m, err := v1.ParseManifest(bytes.NewReader(raw))
	if err != nil {
		return nil, contentErrorf("manifest %s: %v", d.DigestStr(), err)
	}
	if !m.Config.MediaType.IsConfig() {
		return nil, contentErrorf("%s is not an image: its config is %s", d.DigestStr(),
			describeType(m.Config.MediaType))
	}
	if m.Config.Size > maxConfigSize {
		return nil, contentErrorf("the config of %s is %d bytes, more than %d", d.DigestStr(),
			m.Config.Size, maxConfigSize)
	}
	cd := d.Context().Digest(m.Config.Digest.String())
	blob, err := r.Blob(ctx, cd, maxConfigSize)
	if err != nil {
		return nil, fmt.Errorf("reading the config of %s: %w", d.DigestStr(), err)
	}
	if err := checkDigest(blob, cd); err != nil {
		return nil, fmt.Errorf("the config of %s: %w", d.DigestStr(), err)
	}
	img := &imageConfig{layers: len(m.Layers), annotations: inherited}
	if img.file, err = v1.ParseConfigFile(bytes.NewReader(blob)); err != nil {
		return nil, contentErrorf("the config of %s: %v", d.DigestStr(), err)
	}
	dec := json.NewDecoder(bytes.NewReader(blob))
	dec.UseNumber()
	if err := dec.Decode(&img.raw); err != nil {
		return nil, contentErrorf("the config of %s: %v", d.DigestStr(), err)
	}
	if img.annotations == nil {
		img.annotations = map[string]string{}
	}
	maps.Copy(img.annotations, m.Annotations)
	return img, nil
}

func describeType(mt types.MediaType) string {
	if mt == "" {
		return "of no media type"
	}
	return string(mt)
}

// baseImage is the image's base image reference and digest, from the
// OCI annotations or, failing those, the config labels of the same names.
func (img *imageConfig) baseImage() (ref, digest string) {
	ref = img.annotations[policy.AnnotationBaseName]
	digest = img.annotations[policy.AnnotationBaseDigest]
	if ref == "" {
		ref = img.file.Config.Labels[policy.AnnotationBaseName]
		digest = img.file.Config.Labels[policy.AnnotationBaseDigest]
	}
	return ref, digest
}

// needsImage reports whether any of the policies reads the image's
// configuration.
func needsImage(ips []*policy.ImagePolicy) bool {
	for _, ip := range ips {
		if ip.Image != nil || ip.Rego != nil {
			return true
		}
		for _, a := range ip.Attestations {
			if a.Rego != nil {
				return true
			}
		}
	}
	return false
}

// errNoImageReader is a policy that reads image configurations verified
// without a way to read them.
var errNoImageReader = errors.New("a policy has image or rego rules, " +
	"but no ImageReader was given to read the image configuration")

// loadImage reads the configuration of the image d names into e, once:
// an image that cannot be read is an error, one whose content is not an
// image makes the rules that need it fail.
func (e *evaluator) loadImage(ctx context.Context, d name.Digest, r ImageReader) error {
	if r == nil {
		return errNoImageReader
	}
	imgs, err := readImage(ctx, r, d)
	var ce *contentError
	switch {
	case errors.As(err, &ce):
		e.imageErr = ce
	case err != nil:
		return fmt.Errorf("reading the image configuration of %s: %w", d, err)
	}
	e.images = imgs
	return nil
}
