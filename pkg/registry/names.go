package registry

import (
	"errors"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// NameOptions returns the options the Client parses references with. They
// do not make any registry insecure: the Client's methods and
// [Client.ParseReference] apply [WithInsecure] per registry, whatever
// options a name was parsed with.
func (c *Client) NameOptions() []name.Option {
	return []name.Option{name.WeakValidation}
}

// ParseReference parses a tag or digest reference, marking its registry
// insecure when it was given to [WithInsecure]. Errors wrap
// ErrInvalidReference.
func (c *Client) ParseReference(s string) (name.Reference, error) {
	if strings.HasPrefix(s, "sha256:") || strings.HasPrefix(s, "sha512:") {
		return nil, fmt.Errorf("%w %q: a digest alone names no repository: give REPOSITORY@%s",
			ErrInvalidReference, s, s)
	}
	ref, err := name.ParseReference(s, c.NameOptions()...)
	if err != nil {
		return nil, fmt.Errorf("%w %q: %w", ErrInvalidReference, s, err)
	}
	switch r := ref.(type) {
	case name.Tag:
		return c.tag(r), nil
	case name.Digest:
		return c.digest(r), nil
	}
	return ref, nil
}

// repo returns r with its registry marked insecure if configured so.
func (c *Client) repo(r name.Repository) name.Repository {
	if !c.insecure[r.RegistryStr()] {
		return r
	}
	reg, err := name.NewRegistry(r.RegistryStr(), name.Insecure)
	if err != nil {
		return r
	}
	r.Registry = reg
	return r
}

func (c *Client) tag(t name.Tag) name.Tag {
	t.Repository = c.repo(t.Repository)
	return t
}

func (c *Client) digest(d name.Digest) name.Digest {
	d.Repository = c.repo(d.Repository)
	return d
}

func isNetworkErr(err error) bool { return errors.Is(err, ErrNetwork) }
