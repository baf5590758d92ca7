package promote

import (
	"bytes"
	"errors"
	"net/http"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/sigstore/cosign/v2/pkg/oci"
)

// sameBytes finds an item with the same payload and signature: the same
// evidence, whoever stored it.
type sameBytes struct{}

func (sameBytes) Find(list oci.Signatures, want oci.Signature) (oci.Signature, error) {
	wp, err := want.Payload()
	if err != nil {
		return nil, err
	}
	ws, err := want.Base64Signature()
	if err != nil {
		return nil, err
	}
	items, err := list.Get()
	if err != nil {
		return nil, err
	}
	return find(items, wp, ws)
}

// contains reports whether items holds the same evidence as want.
func contains(items []oci.Signature, want oci.Signature) (bool, error) {
	wp, err := want.Payload()
	if err != nil {
		return false, err
	}
	ws, err := want.Base64Signature()
	if err != nil {
		return false, err
	}
	found, err := find(items, wp, ws)
	return found != nil, err
}

func find(items []oci.Signature, wp []byte, ws string) (oci.Signature, error) {
	for _, it := range items {
		p, err := it.Payload()
		if err != nil {
			return nil, err
		}
		s, err := it.Base64Signature()
		if err != nil {
			return nil, err
		}
		if bytes.Equal(p, wp) && s == ws {
			return it, nil
		}
	}
	return nil, nil
}

// isNotFound reports whether err is a registry's answer that the manifest
// does not exist.
func isNotFound(err error) bool {
	var te *transport.Error
	if !errors.As(err, &te) {
		return false
	}
	if te.StatusCode == http.StatusNotFound {
		return true
	}
	for _, d := range te.Errors {
		if d.Code == transport.ManifestUnknownErrorCode || d.Code == transport.NameUnknownErrorCode {
			return true
		}
	}
	return false
}
