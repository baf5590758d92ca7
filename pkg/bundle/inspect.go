package bundle

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"net/url"
	"os"
	"regexp"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// maxIndexSize bounds a bundle's index.json.
const maxIndexSize = 4 << 20

// contents is what a bundle's index.json says and its manifests hold,
// checked.
type contents struct {
	// plain is set for an OCI image layout that is not a vouch bundle.
	plain     bool
	repo      name.Repository
	image     name.Digest
	reference string
	// platforms are the digests of the manifests the image's index lists.
	platforms map[string]bool
	layers    bool
	entries   []Entry
	// artifacts are vouch's own entries (policy, trust, crl, report).
	artifacts map[Kind]*artifact
	// crls are the CRL files by the URL they were fetched from.
	crls map[string]v1.Descriptor
}

// artifact is one of vouch's own entries and the files it holds.
type artifact struct {
	desc   v1.Descriptor
	layers []v1.Descriptor
}

// blobUse is a blob some manifest references.
type blobUse struct {
	desc v1.Descriptor
	// optional is set for a layer of the image in a bundle made without
	// layers.
	optional bool
}

// inspector checks one bundle directory.
type inspector struct {
	root      *os.Root
	c         *contents
	limits    Limits
	manifests map[v1.Hash]manifestFields
	blobs     map[v1.Hash]blobUse
	order     []v1.Hash
}

// inspect checks a bundle vouch wrote itself, in dir, without limits on
// its size.
func inspect(dir string, want name.Repository, verifyBlobs bool) (*contents, error) {
	return inspectLimited(dir, want, verifyBlobs, Limits{MaxSize: math.MaxInt64})
}

// inspectLimited reads and checks the bundle in dir: want is the
// repository a plain OCI image layout is served as, verifyBlobs whether
// every blob is read and checked against its digest (manifests always
// are).
func inspectLimited(dir string, want name.Repository, verifyBlobs bool, limits Limits) (
	*contents, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	raw, err := readFile(root, "index.json", maxIndexSize)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: not an OCI image layout: it holds no index.json", ErrCorrupt)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: reading index.json: %w", ErrCorrupt, err)
	}
	idx, err := v1.ParseIndexManifest(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("%w: reading index.json: %w", ErrCorrupt, err)
	}
	ins := &inspector{root: root, limits: limits.withDefaults(), c: &contents{
		artifacts: map[Kind]*artifact{}, crls: map[string]v1.Descriptor{},
	}, manifests: map[v1.Hash]manifestFields{}, blobs: map[v1.Hash]blobUse{}}
	switch v := idx.Annotations[AnnotationVersion]; {
	case v == "" && want.RepositoryStr() == "":
		return nil, fmt.Errorf("%w: index.json has no %s annotation", ErrNotBundle, AnnotationVersion)
	case v == "":
		ins.c.plain, ins.c.repo = true, want
		return ins.c, nil
	case v != FormatVersion:
		return nil, fmt.Errorf("bundle format %q: this vouch reads %q", v, FormatVersion)
	}
	if err := ins.entries(idx.Manifests, want); err != nil {
		return nil, err
	}
	if err := ins.evidence(idx.Manifests); err != nil {
		return nil, err
	}
	if err := ins.checkBlobs(verifyBlobs); err != nil {
		return nil, err
	}
	return ins.c, nil
}

// entries reads every manifest index.json lists, and the image's
// description.
func (ins *inspector) entries(descs []v1.Descriptor, want name.Repository) error {
	var image *v1.Descriptor
	listed := map[v1.Hash]bool{}
	for i, desc := range descs {
		kind := Kind(desc.Annotations[AnnotationKind])
		switch kind {
		case KindImage, KindCosignSignatures, KindCosignAttestations, KindReferrer,
			KindPolicy, KindTrust, KindCRL, KindReport:
		default:
			return fmt.Errorf("%w: index.json lists %s with %s %q, which is no kind of entry a "+
				"bundle holds", ErrCorrupt, desc.Digest, AnnotationKind, kind)
		}
		if listed[desc.Digest] {
			return fmt.Errorf("%w: index.json lists %s twice", ErrCorrupt, desc.Digest)
		}
		listed[desc.Digest] = true
		if kind == KindReferrer && desc.Annotations[AnnotationSubject] == "" {
			return fmt.Errorf("%w: referrer %s is listed without its %s", ErrCorrupt, desc.Digest,
				AnnotationSubject)
		}
		if kind == KindImage {
			if image != nil {
				return fmt.Errorf("%w: index.json lists two images, %s and %s", ErrCorrupt,
					image.Digest, desc.Digest)
			}
			image = &descs[i]
		}
		ins.c.entries = append(ins.c.entries, Entry{Kind: kind, Descriptor: desc})
	}
	if image == nil {
		return fmt.Errorf("%w: %w", ErrCorrupt, errNoImage)
	}
	if err := ins.c.imageAnnotations(*image, want); err != nil {
		return err
	}
	for _, e := range ins.c.entries {
		if err := ins.entry(e); err != nil {
			return err
		}
	}
	return nil
}

func (ins *inspector) entry(e Entry) error {
	desc := e.Descriptor
	if !isManifest(desc.MediaType) {
		return fmt.Errorf("%w: index.json lists %s, a %s, which is not a manifest",
			ErrCorrupt, desc.Digest, desc.MediaType)
	}
	m, err := ins.manifest(desc, e.Kind == KindImage, 0)
	if err != nil {
		return err
	}
	switch e.Kind {
	case KindPolicy, KindTrust, KindCRL, KindReport:
		if ins.c.artifacts[e.Kind] != nil {
			return fmt.Errorf("%w: index.json lists more than one %s entry", ErrCorrupt, e.Kind)
		}
		ins.c.artifacts[e.Kind] = &artifact{desc: desc, layers: m.Layers}
	}
	if e.Kind == KindCRL {
		return ins.crls(m.Layers)
	}
	return nil
}

func (ins *inspector) crls(layers []v1.Descriptor) error {
	for _, l := range layers {
		u := l.Annotations[AnnotationURL]
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return fmt.Errorf("%w: CRL %s: %s %q is not an http URL", ErrCorrupt, l.Digest, AnnotationURL, u)
		}
		ins.c.crls[u] = l
	}
	return nil
}

// manifest reads and checks the manifest desc describes and records the
// manifests and blobs it references. inImage is set within the image.
func (ins *inspector) manifest(desc v1.Descriptor, inImage bool, depth int) (
	manifestFields, error) {
	if m, ok := ins.manifests[desc.Digest]; ok {
		return m, nil
	}
	if depth > maxIndexDepth {
		return manifestFields{}, fmt.Errorf("%w: manifest %s: indexes nested more than %d deep",
			ErrCorrupt, desc.Digest, maxIndexDepth)
	}
	if len(ins.manifests) >= maxReferrers+maxIndexEntries {
		return manifestFields{}, fmt.Errorf("%w: more than %d manifests", ErrCorrupt, len(ins.manifests))
	}
	raw, err := readRootBlob(ins.root, desc, maxManifestSize)
	if err != nil && !errors.Is(err, ErrCorrupt) {
		err = fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if err != nil {
		return manifestFields{}, fmt.Errorf("reading manifest %s: %w", desc.Digest, err)
	}
	var m manifestFields
	if err := json.Unmarshal(raw, &m); err != nil {
		return m, fmt.Errorf("%w: reading manifest %s: %w", ErrCorrupt, desc.Digest, err)
	}
	ins.manifests[desc.Digest] = m
	if desc.MediaType.IsIndex() {
		for _, child := range m.Manifests {
			if !isManifest(child.MediaType) {
				continue
			}
			if _, err := ins.manifest(child, inImage, depth+1); err != nil {
				return m, err
			}
		}
		return m, nil
	}
	if m.Config != nil {
		ins.use(*m.Config, false)
	}
	for _, l := range append(m.Layers, m.Blobs...) {
		if l.MediaType.IsDistributable() {
			ins.use(l, inImage && !ins.c.layers)
		}
	}
	return m, nil
}

// maxIndexEntries bounds the manifests an image and vouch's own entries
// add to the referrers a bundle may hold.
const maxIndexEntries = 10000

func (ins *inspector) use(desc v1.Descriptor, optional bool) {
	if u, ok := ins.blobs[desc.Digest]; ok {
		u.optional = u.optional && optional
		ins.blobs[desc.Digest] = u
		return
	}
	ins.blobs[desc.Digest] = blobUse{desc: desc, optional: optional}
	ins.order = append(ins.order, desc.Digest)
}

// checkBlobs checks that every blob referenced is in the bundle, with the
// size its descriptor gives, within the limits, and with verify its
// digest. An optional blob may be missing.
func (ins *inspector) checkBlobs(verify bool) error {
	var total int64
	for _, h := range ins.order {
		u := ins.blobs[h]
		size, err := statBlob(ins.root, h)
		switch {
		case errors.Is(err, fs.ErrNotExist) && u.optional:
			continue
		case errors.Is(err, fs.ErrNotExist):
			return fmt.Errorf("%w: blob %s is missing from the bundle", ErrCorrupt, h)
		case err != nil:
			return err
		case size != u.desc.Size:
			return fmt.Errorf("%w: blob %s is %d bytes, but is listed with size %d",
				ErrCorrupt, h, size, u.desc.Size)
		}
		if total += size; total > ins.limits.MaxSize {
			return fmt.Errorf("%w: the bundle's blobs are more than %d bytes",
				ErrCorrupt, ins.limits.MaxSize)
		}
		if verify {
			if err := verifyBlob(ins.root, u.desc); err != nil {
				return err
			}
		}
	}
	return nil
}

// evidenceTag matches the tags of cosign's and the referrers tag schema's
// scheme, sha256-<hex> with an optional suffix.
var evidenceTag = regexp.MustCompile(`^sha256-([0-9a-f]{64})(\..*)?$`)

// evidence checks that every piece of evidence is about the bundle's
// image: cosign tags name its digest, and every manifest with a subject
// names the image or another listed manifest with a subject, so that each
// chain of referrers ends at the image.
func (ins *inspector) evidence(descs []v1.Descriptor) error {
	img := ins.c.image.DigestStr()
	// The image's own digests: its index or manifest, and the platform
	// manifests of an index, each of which may carry evidence.
	own := map[string]bool{img: true}
	ins.c.platforms = map[string]bool{}
	if h, err := v1.NewHash(img); err == nil {
		for _, m := range ins.manifests[h].Manifests {
			own[m.Digest.String()] = true
			ins.c.platforms[m.Digest.String()] = true
		}
	}
	withSubject := maps.Clone(own)
	for _, d := range descs {
		if ins.manifests[d.Digest].Subject != nil {
			withSubject[d.Digest.String()] = true
		}
	}
	for _, d := range descs {
		if err := ins.checkEvidence(d, img, own, withSubject); err != nil {
			return fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
	}
	return nil
}

func (ins *inspector) checkEvidence(d v1.Descriptor, img string,
	own, withSubject map[string]bool) error {
	kind := Kind(d.Annotations[AnnotationKind])
	tag := d.Annotations[annotationRefName]
	m := evidenceTag.FindStringSubmatch(tag)
	if m != nil && !own["sha256:"+m[1]] {
		return fmt.Errorf("evidence %s (tag %s) belongs to sha256:%s, not to the bundle's image %s",
			d.Digest, tag, m[1], img)
	}
	want := map[Kind]string{KindCosignSignatures: ".sig", KindCosignAttestations: ".att"}[kind]
	if want != "" && (m == nil || m[2] != want) {
		return fmt.Errorf("%s entry %s has tag %q, not the %s tag of %s or one of its platform images",
			kind, d.Digest, tag, want, img)
	}
	subject := ins.manifests[d.Digest].Subject
	switch {
	case subject == nil && kind == KindReferrer:
		return fmt.Errorf("referrer %s names no subject", d.Digest)
	case subject == nil:
		return nil
	case kind == KindImage:
		return fmt.Errorf("the image %s names a subject, %s", d.Digest, subject.Digest)
	case !withSubject[subject.Digest.String()] || subject.Digest == d.Digest:
		return fmt.Errorf("evidence %s belongs to %s, not to the bundle's image %s or its evidence",
			d.Digest, subject.Digest, img)
	}
	if s, ok := d.Annotations[AnnotationSubject]; ok && s != subject.Digest.String() {
		return fmt.Errorf("referrer %s is listed with subject %s but names %s",
			d.Digest, s, subject.Digest)
	}
	return nil
}
