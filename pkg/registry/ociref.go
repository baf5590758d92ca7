package registry

import (
	"fmt"
	"os"
	"regexp"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// layoutPrefix starts every reference to an image in an OCI image layout.
const layoutPrefix = "oci:"

// tagPattern is the tag grammar of the OCI distribution spec.
var tagPattern = regexp.MustCompile(`^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$`)

// digestPattern is the digest grammar of the OCI image spec. A suffix that
// matches it after the last '@' is taken as a digest, and must then be one
// vouch supports.
var digestPattern = regexp.MustCompile(`^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$`)

// LayoutRef names an image in an OCI image layout on disk, written
// oci:DIR@sha256:<hex> or oci:DIR:TAG. Exactly one of Tag and Digest is set.
type LayoutRef struct {
	// Dir is the layout's directory, as written.
	Dir string
	// Tag is an org.opencontainers.image.ref.name annotation in the
	// layout's index.json.
	Tag string
	// Digest is a manifest digest.
	Digest v1.Hash
}

// String returns the reference as ParseLayoutRef reads it.
func (r LayoutRef) String() string {
	if r.Tag != "" {
		return layoutPrefix + r.Dir + ":" + r.Tag
	}
	return layoutPrefix + r.Dir + "@" + r.Digest.String()
}

// ParseLayoutRef parses s as a reference to an image in an OCI image layout.
// It returns ok false, and no error, when s does not start with "oci:".
//
// The directory may contain ':' itself, so oci:DIR:TAG is split at the last
// ':' only when the text after it is a valid tag and the text before it is
// an existing directory; the directory of oci:DIR@sha256:<hex> must exist
// too. Errors wrap ErrInvalidReference and quote s.
func ParseLayoutRef(s string) (ref LayoutRef, ok bool, err error) {
	rest, ok := strings.CutPrefix(s, layoutPrefix)
	if !ok {
		return LayoutRef{}, false, nil
	}
	if rest == "" {
		return LayoutRef{}, true, layoutRefError(s, "names no directory")
	}
	if i := strings.LastIndex(rest, "@"); i >= 0 && digestPattern.MatchString(rest[i+1:]) {
		ref, err := parseLayoutDigest(s, rest[:i], rest[i+1:])
		return ref, true, err
	}
	ref, err = parseLayoutTag(s, rest)
	return ref, true, err
}

func parseLayoutDigest(s, dir, digest string) (LayoutRef, error) {
	if !strings.HasPrefix(digest, "sha256:") {
		return LayoutRef{}, layoutRefError(s, "digest %s: only sha256 is supported", digest)
	}
	h, err := v1.NewHash(digest)
	if err != nil {
		return LayoutRef{}, layoutRefError(s, "invalid digest %s: %v", digest, err)
	}
	switch {
	case dir == "":
		return LayoutRef{}, layoutRefError(s, "names no directory")
	case isDir(dir):
		return LayoutRef{Dir: dir, Digest: h}, nil
	}
	if d, tag, ok := splitTag(dir); ok && isDir(d) {
		return LayoutRef{}, layoutRefError(s,
			"give either :%s or @%s, not both", tag, digest)
	}
	return LayoutRef{}, layoutRefError(s, "%s is not a directory", dir)
}

func parseLayoutTag(s, rest string) (LayoutRef, error) {
	dir, tag, ok := splitTag(rest)
	tagged := ok && isDir(dir)
	whole := isDir(rest)
	switch {
	case tagged && whole:
		return LayoutRef{}, layoutRefError(s,
			"both %s and %s are directories: name the image by digest instead", dir, rest)
	case tagged:
		return LayoutRef{Dir: dir, Tag: tag}, nil
	case whole:
		return LayoutRef{}, layoutRefError(s,
			"names no image: add @sha256:<hex> or :TAG")
	case ok:
		return LayoutRef{}, layoutRefError(s, "%s is not a directory", dir)
	}
	return LayoutRef{}, layoutRefError(s,
		"%s is not a directory, and there is no valid :TAG or @sha256:<hex> after it", rest)
}

// splitTag splits s at its last ':' when a valid tag follows it and some
// text precedes it.
func splitTag(s string) (dir, tag string, ok bool) {
	i := strings.LastIndex(s, ":")
	if i <= 0 || !tagPattern.MatchString(s[i+1:]) {
		return "", "", false
	}
	return s[:i], s[i+1:], true
}

func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

func isTag(s string) bool { return tagPattern.MatchString(s) }

func layoutRefError(s, format string, args ...any) error {
	return fmt.Errorf("%w %q: %s", ErrInvalidReference, s, fmt.Sprintf(format, args...))
}
