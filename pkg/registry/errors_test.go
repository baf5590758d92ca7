package registry_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/vouchsec/vouch/pkg/registry"
)

// closedPort returns a 127.0.0.1 address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

func TestErrNetworkClosedPort(t *testing.T) {
	host := closedPort(t)
	digest := someDigest
	c := registry.New()
	calls := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"Resolve", func(ctx context.Context) error {
			_, _, err := c.Resolve(ctx, host+"/app:1.0.0")
			return err
		}},
		{"Exists", func(ctx context.Context) error {
			_, err := c.Exists(ctx, mustDigest(t, host+"/app@"+digest))
			return err
		}},
		{"Copy", func(ctx context.Context) error {
			_, err := c.Copy(ctx, mustDigest(t, host+"/app@"+digest), mustRepo(t, host+"/dst"))
			return err
		}},
		{"Tag", func(ctx context.Context) error {
			_, err := c.Tag(ctx, mustTag(t, host+"/app:2"), mustHash(t, digest))
			return err
		}},
		{"Referrers", func(ctx context.Context) error {
			_, err := c.Referrers(ctx, mustDigest(t, host+"/app@"+digest), "")
			return err
		}},
	}
	for _, tt := range calls {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call(t.Context())
			if !errors.Is(err, registry.ErrNetwork) {
				t.Fatalf("error = %v, want ErrNetwork", err)
			}
			if errors.Is(err, registry.ErrNotFound) {
				t.Errorf("error %v is both ErrNetwork and ErrNotFound", err)
			}
		})
	}
}

// TestErrNetworkRecovers checks that a failed connection is not remembered:
// once the registry is up, the same Client reaches it.
func TestErrNetworkRecovers(t *testing.T) {
	addr := closedPort(t)
	c := registry.New()
	if _, _, err := c.Resolve(t.Context(), addr+"/app:1.0.0"); !errors.Is(err, registry.ErrNetwork) {
		t.Fatalf("Resolve before start: %v, want ErrNetwork", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("port %s was taken meanwhile: %v", addr, err)
	}
	h, err := registry.NewHandler(registry.ServeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	if _, _, err := c.Resolve(t.Context(), addr+"/app:1.0.0"); !errors.Is(err, registry.ErrNotFound) {
		t.Fatalf("Resolve after start: %v, want ErrNotFound", err)
	}
}

func badHash() error {
	_, err := v1.NewHash("sha256:x")
	return err
}

// ggcrError builds the error ggcr returns for an HTTP answer.
func ggcrError(t *testing.T, status int, body string) error {
	t.Helper()
	resp := &http.Response{
		StatusCode: status,
		Body:       io.NopCloser(bytes.NewBufferString(body)),
		Request:    &http.Request{Method: http.MethodGet},
	}
	err := transport.CheckError(resp, http.StatusOK)
	if err == nil {
		t.Fatal("CheckError accepted the status")
	}
	return fmt.Errorf("fetching: %w", err)
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name            string
		err             error
		network, absent bool
	}{
		{"nil", nil, false, false},
		{"503", ggcrError(t, 503, ""), true, false},
		{"500", ggcrError(t, 500, `{"errors":[{"code":"UNKNOWN"}]}`), true, false},
		{"429", ggcrError(t, 429, ""), true, false},
		{"404", ggcrError(t, 404, ""), false, true},
		{"manifest unknown", ggcrError(t, 400, `{"errors":[{"code":"MANIFEST_UNKNOWN"}]}`), false, true},
		{"401", ggcrError(t, 401, `{"errors":[{"code":"UNAUTHORIZED"}]}`), false, false},
		{"dial", &net.OpError{Op: "dial", Err: errors.New("connection refused")}, true, false},
		{"dns", fmt.Errorf("ping: %w", &net.DNSError{Err: "no such host", Name: "x"}), true, false},
		{"deadline", fmt.Errorf("get: %w", context.DeadlineExceeded), true, false},
		{"canceled", fmt.Errorf("get: %w", context.Canceled), false, false},
		{"bad digest", badHash(), false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := registry.Classify(tt.err)
			if (got == nil) != (tt.err == nil) {
				t.Fatalf("Classify(%v) = %v", tt.err, got)
			}
			if n := errors.Is(got, registry.ErrNetwork); n != tt.network {
				t.Errorf("Classify(%v) is ErrNetwork = %v, want %v", tt.err, n, tt.network)
			}
			if a := errors.Is(got, registry.ErrNotFound); a != tt.absent {
				t.Errorf("Classify(%v) is ErrNotFound = %v, want %v", tt.err, a, tt.absent)
			}
			if tt.err != nil && !errors.Is(got, tt.err) {
				t.Errorf("Classify lost the cause %v", tt.err)
			}
		})
	}
}
