package registry

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
)

// countingTransport counts every HTTP round trip, logs it at debug level and
// reports writes to the meter of the request's context, if any.
type countingTransport struct {
	base     http.RoundTripper
	logger   *slog.Logger
	requests atomic.Int64
}

func (t *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.requests.Add(1)
	ctx := req.Context()
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		t.logger.DebugContext(ctx, "registry request",
			"method", req.Method, "host", req.URL.Host, "path", req.URL.Path, "error", err)
		return nil, err
	}
	t.logger.DebugContext(ctx, "registry request",
		"method", req.Method, "host", req.URL.Host, "path", req.URL.Path,
		"status", resp.StatusCode)
	if m, ok := ctx.Value(meterKey{}).(*meter); ok {
		m.observe(req, resp.StatusCode)
	}
	return resp, nil
}

// meter counts what one operation wrote to a registry.
type meter struct {
	writes    atomic.Int64 // successful PUT, POST, PATCH and DELETE requests
	manifests atomic.Int64 // manifests stored
	blobs     atomic.Int64 // blobs stored by upload or cross-repository mount
}

type meterKey struct{}

func withMeter(ctx context.Context, m *meter) context.Context {
	return context.WithValue(ctx, meterKey{}, m)
}

func (m *meter) observe(req *http.Request, status int) {
	if status < 200 || status > 299 {
		return
	}
	path := req.URL.Path
	switch req.Method {
	case http.MethodPut:
		if strings.Contains(path, "/manifests/") {
			m.manifests.Add(1)
		} else if strings.Contains(path, "/blobs/uploads/") {
			m.blobs.Add(1)
		}
	case http.MethodPost:
		// A mount answers 201 Created; a new upload session 202 Accepted.
		if req.URL.Query().Get("mount") != "" && status == http.StatusCreated {
			m.blobs.Add(1)
		}
	case http.MethodPatch, http.MethodDelete:
	default:
		return
	}
	m.writes.Add(1)
}
