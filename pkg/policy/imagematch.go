package policy

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// IsRootUser reports whether a container started from an image config
// whose User is user, on the operating system os, runs as root. On Linux
// that is when the user part (before any ":group") is empty, "root", or a
// number equal to zero in any spelling ("0", "00", "+0"), whatever the
// group; on Windows when user is empty or ContainerAdministrator. A user
// name that /etc/passwd maps to uid 0 cannot be told from the config and is
// not caught.
func IsRootUser(user, os string) bool {
	user = strings.TrimSpace(user)
	if strings.EqualFold(os, "windows") {
		return user == "" || strings.EqualFold(user, "ContainerAdministrator")
	}
	u, _, _ := strings.Cut(user, ":")
	u = strings.TrimSpace(u)
	if u == "" || u == "root" {
		return true
	}
	uid, err := strconv.ParseInt(u, 10, 64)
	return err == nil && uid == 0
}

// ImagePattern is an entry of allowedBaseImages: a registry/repository glob
// written as a scope is, optionally followed by ":TAG-GLOB" or
// "@DIGEST".
type ImagePattern struct {
	Pattern string
	Pos     Position

	repo   *scopeGlob
	tag    string
	digest string
}

// compileImagePattern checks and compiles an allowedBaseImages entry.
func compileImagePattern(s string) (ImagePattern, error) {
	p := ImagePattern{Pattern: s}
	repo := s
	if before, digest, ok := strings.Cut(s, "@"); ok {
		if _, err := v1.NewHash(digest); err != nil {
			return p, fmt.Errorf("%q: %q is not a digest: %w", s, digest, err)
		}
		repo, p.digest = before, digest
	}
	slash := strings.LastIndex(repo, "/")
	if i := strings.LastIndex(repo, ":"); i > slash {
		repo, p.tag = repo[:i], repo[i+1:]
		if p.tag == "" {
			return p, fmt.Errorf("%q has an empty tag", s)
		}
		if _, err := path.Match(p.tag, ""); err != nil {
			return p, fmt.Errorf("%q: tag %q is not a valid glob: %w", s, p.tag, err)
		}
	}
	if p.tag != "" && p.digest != "" {
		return p, fmt.Errorf("%q has both a tag and a digest; give one", s)
	}
	g, err := compileRepoGlob(repo)
	if err != nil {
		return p, fmt.Errorf("%q: %w", s, err)
	}
	p.repo = g
	return p, nil
}

// compileRepoGlob compiles a registry/repository glob with the syntax of a
// scope.
func compileRepoGlob(s string) (*scopeGlob, error) {
	if s == "" {
		return nil, errors.New("the repository is empty")
	}
	segs := strings.Split(s, "/")
	for _, seg := range segs {
		if err := checkSegment(seg); err != nil {
			return nil, err
		}
	}
	if segs[0] == dockerHubAlias {
		segs[0] = dockerHub
	}
	return &scopeGlob{segments: segs}, nil
}

// Matches reports whether the image reference ref, as a base image
// annotation gives it, is allowed by the pattern. The reference is read
// as Docker reads it: "alpine" is index.docker.io/library/alpine:latest. A
// pattern without a tag or digest allows every tag and digest of the
// repositories it matches; one with a tag glob only tags it matches; one
// with a digest only that digest. digest, when not empty, is the base
// image's digest from its own annotation, for a ref that names none.
func (p ImagePattern) Matches(ref, digest string) (bool, error) {
	if p.repo == nil {
		c, err := compileImagePattern(p.Pattern)
		if err != nil {
			return false, err
		}
		p = c
	}
	r, err := ParseImageRef(ref)
	if err != nil {
		return false, err
	}
	if r.Digest == "" {
		r.Digest = digest
	}
	switch {
	case !p.repo.match(r.Repository):
		return false, nil
	case p.digest != "":
		return r.Digest == p.digest, nil
	case p.tag != "":
		ok, err := path.Match(p.tag, r.Tag)
		return ok && err == nil && r.Tag != "", nil
	}
	return true, nil
}

// tagPattern is what a tag may be, by the OCI distribution specification.
var tagPattern = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)

// ImageRef is an image reference taken apart.
type ImageRef struct {
	// Repository is registry/repository, as go-containerregistry prints it
	// (index.docker.io/library/alpine).
	Repository string
	// Tag and Digest are empty when the reference has none; a reference
	// with neither has Tag "latest".
	Tag, Digest string
}

// ParseImageRef parses an image reference: registry/repository with an
// optional :tag, @digest or both.
func ParseImageRef(s string) (ImageRef, error) {
	var r ImageRef
	repo := s
	if before, digest, ok := strings.Cut(s, "@"); ok {
		if _, err := v1.NewHash(digest); err != nil {
			return r, fmt.Errorf("image reference %q: %w", s, err)
		}
		repo, r.Digest = before, digest
	}
	slash := strings.LastIndex(repo, "/")
	if i := strings.LastIndex(repo, ":"); i > slash {
		repo, r.Tag = repo[:i], repo[i+1:]
		if !tagPattern.MatchString(r.Tag) {
			return r, fmt.Errorf("image reference %q: invalid tag %q", s, r.Tag)
		}
	}
	n, err := name.NewRepository(repo)
	if err != nil {
		return r, fmt.Errorf("image reference %q: %w", s, err)
	}
	r.Repository = n.Name()
	if r.Tag == "" && r.Digest == "" {
		r.Tag = name.DefaultTag
	}
	return r, nil
}

// EnvPattern is an entry of deniedEnv: a glob over an environment
// variable's name, or "NAME-GLOB=VALUE-GLOB" over its name and value. The
// glob must match the whole name (or value): "*" is any run of characters,
// "?" one character, "[a-z]" and "[!a-z]" a class, and "\" makes the next
// character literal. Names compare without regard to letter case, values
// exactly.
type EnvPattern struct {
	Pattern string
	Pos     Position

	name, value *regexp.Regexp
}

// compileEnvPattern checks and compiles a deniedEnv entry.
func compileEnvPattern(s string) (EnvPattern, error) {
	p := EnvPattern{Pattern: s}
	nameGlob, valueGlob, hasValue := strings.Cut(s, "=")
	if nameGlob == "" {
		return p, fmt.Errorf("%q has no variable name", s)
	}
	var err error
	if p.name, err = globRegexp(nameGlob, true); err != nil {
		return p, fmt.Errorf("%q: %w", s, err)
	}
	if hasValue {
		if p.value, err = globRegexp(valueGlob, false); err != nil {
			return p, fmt.Errorf("%q: %w", s, err)
		}
	}
	return p, nil
}

// Matches reports whether the environment entry env ("NAME=value", as an
// image config lists it) is denied by the pattern.
func (p EnvPattern) Matches(env string) bool {
	if p.name == nil {
		c, err := compileEnvPattern(p.Pattern)
		if err != nil {
			return false
		}
		p = c
	}
	n, v, _ := strings.Cut(env, "=")
	return p.name.MatchString(n) && (p.value == nil || p.value.MatchString(v))
}

// globRegexp turns a glob into an anchored regular expression.
func globRegexp(glob string, fold bool) (*regexp.Regexp, error) {
	var b strings.Builder
	if fold {
		b.WriteString("(?i)")
	}
	b.WriteString("^(?s:")
	for i := 0; i < len(glob); i++ {
		switch c := glob[i]; c {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		case '\\':
			if i+1 == len(glob) {
				return nil, errors.New(`a trailing \ escapes nothing`)
			}
			i++
			b.WriteString(regexp.QuoteMeta(glob[i : i+1]))
		case '[':
			n, class, err := globClass(glob[i:])
			if err != nil {
				return nil, err
			}
			b.WriteString(class)
			i += n - 1
		default:
			b.WriteString(regexp.QuoteMeta(glob[i : i+1]))
		}
	}
	b.WriteString(")$")
	return regexp.Compile(b.String())
}

// globClass translates the character class at the start of s, returning
// how many bytes of s it takes.
func globClass(s string) (int, string, error) {
	end := strings.IndexByte(s[1:], ']')
	if end == 0 && len(s) > 2 {
		// "[]...]": a leading ] is part of the class.
		end = strings.IndexByte(s[2:], ']') + 1
		if end == 0 {
			end = -1
		}
	}
	if end < 0 {
		return 0, "", fmt.Errorf("character class %q is not closed", s)
	}
	body := s[1 : end+1]
	neg := strings.HasPrefix(body, "!") || strings.HasPrefix(body, "^")
	if neg {
		body = body[1:]
	}
	if body == "" {
		return 0, "", fmt.Errorf("character class %q is empty", s[:end+2])
	}
	var b strings.Builder
	b.WriteString("[")
	if neg {
		b.WriteString("^")
	}
	for _, r := range body {
		if r == '-' {
			b.WriteRune(r)
			continue
		}
		b.WriteString(regexp.QuoteMeta(string(r)))
	}
	b.WriteString("]")
	if _, err := regexp.Compile(b.String()); err != nil {
		return 0, "", fmt.Errorf("character class %q: %w", s[:end+2], err)
	}
	return end + 2, b.String(), nil
}
