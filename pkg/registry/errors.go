package registry

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"reflect"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

var (
	// ErrNetwork marks a registry that could not be reached or that failed:
	// connection refused, DNS, TLS, timeouts, 5xx and 429 answers.
	ErrNetwork = errors.New("registry unreachable or failing")
	// ErrNotFound marks a manifest, tag or repository the registry does not have.
	ErrNotFound = errors.New("not found in registry")
	// ErrCorruptLayout marks a blob of an OCI image layout that does not
	// match its digest or size: bad input, never a network failure, even
	// when it surfaces as the failure of a request that streamed it.
	ErrCorruptLayout = errors.New("corrupt OCI layout")
	// ErrInvalidReference marks an image reference that does not parse.
	ErrInvalidReference = errors.New("invalid image reference")
)

// Classify wraps err with ErrNetwork or ErrNotFound when it is a failure of
// that kind, and returns it unchanged otherwise (nil stays nil). The Client's
// methods classify their errors already; use Classify on errors from ggcr or
// cosign calls made with [Client.RemoteOptions].
func Classify(err error) error {
	switch {
	case err == nil, errors.Is(err, ErrNetwork), errors.Is(err, ErrNotFound),
		errors.Is(err, ErrCorruptLayout):
		return err
	case isNetwork(err):
		return fmt.Errorf("%w: %w", ErrNetwork, err)
	case isNotFound(err):
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	return err
}

func isNetwork(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var terr *transport.Error
	if errors.As(err, &terr) {
		return terr.StatusCode >= 500 || terr.StatusCode == http.StatusTooManyRequests
	}
	// Errors from http.Client.Do are *url.Error, which is a net.Error: they
	// cover refused connections, DNS, TLS and proxy failures alike.
	var nerr net.Error
	if errors.As(err, &nerr) {
		return true
	}
	return anyJoined(err, isNetwork)
}

func isNotFound(err error) bool {
	var terr *transport.Error
	if !errors.As(err, &terr) {
		return false
	}
	if terr.StatusCode == http.StatusNotFound {
		return true
	}
	for _, d := range terr.Errors {
		switch d.Code {
		case transport.ManifestUnknownErrorCode, transport.NameUnknownErrorCode,
			transport.BlobUnknownErrorCode:
			return true
		}
	}
	return false
}

// errorType is the reflect type of the error interface.
var errorType = reflect.TypeFor[error]()

// anyJoined reports whether pred holds for one of the errors that err joins
// without an Unwrap method: ggcr's ping returns its HTTPS and HTTP attempts
// as a plain slice of errors, which errors.As cannot look into.
func anyJoined(err error, pred func(error) bool) bool {
	v := reflect.ValueOf(err)
	if v.Kind() != reflect.Slice || v.Type().Elem() != errorType {
		return false
	}
	for i := range v.Len() {
		if e, ok := v.Index(i).Interface().(error); ok && e != nil && pred(e) {
			return true
		}
	}
	return false
}
