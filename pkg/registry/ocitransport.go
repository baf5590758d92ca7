package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
)

// layoutTransport sends requests for a layout's registry host to the
// layout's handler, in process, and all others to next.
type layoutTransport struct {
	layout *Layout
	next   http.RoundTripper
}

func (t *layoutTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !t.layout.hosts[strings.ToLower(req.URL.Host)] {
		return t.next.RoundTrip(req)
	}
	return serveInProcess(t.layout.handler, req)
}

// serveInProcess answers req with h, as a server would, without a network.
// The response body streams from h while the caller reads it; a handler
// that aborts (see withAbort) makes the read fail.
func serveInProcess(h http.Handler, req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	pr, pw := io.Pipe()
	w := &pipeResponseWriter{header: http.Header{}, body: pw, ready: make(chan struct{})}
	if req.Method == http.MethodHead {
		w.body = io.Discard
	}
	sreq := serverRequest(withAbort(ctx, func(err error) { _ = pw.CloseWithError(err) }), req)
	go func() {
		stop := context.AfterFunc(ctx, func() { _ = pw.CloseWithError(ctx.Err()) })
		defer stop()
		defer closeRequestBody(req)
		defer w.finish(pw)
		h.ServeHTTP(w, sreq)
	}()
	select {
	case <-w.ready:
	case <-ctx.Done():
		_ = pr.CloseWithError(ctx.Err())
		return nil, ctx.Err()
	}
	resp := &http.Response{
		Status:        fmt.Sprintf("%d %s", w.status, http.StatusText(w.status)),
		StatusCode:    w.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        w.sent,
		Body:          pr,
		ContentLength: contentLength(w.sent),
		Request:       req,
	}
	switch {
	case req.Method == http.MethodHead:
		_ = pr.Close()
		resp.Body = http.NoBody
	case resp.ContentLength >= 0:
		resp.Body = &lengthCheckedBody{ReadCloser: pr, left: resp.ContentLength}
	}
	return resp, nil
}

// lengthCheckedBody fails a body that ends before its Content-Length, as
// net/http's client does, so that a handler that stops writing early
// cannot pass for a complete answer. Bytes past the length are an error.
type lengthCheckedBody struct {
	io.ReadCloser
	left int64
}

func (b *lengthCheckedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	switch {
	case b.left < 0:
		return n + int(b.left), errors.New("in-process response body is longer than its Content-Length")
	case b.left > 0 && errors.Is(err, io.EOF):
		return n, io.ErrUnexpectedEOF
	}
	return n, err
}

// serverRequest returns req as a server's handler would see it, with ctx.
func serverRequest(ctx context.Context, req *http.Request) *http.Request {
	sreq := req.Clone(ctx)
	path := req.URL.Path
	if path == "" {
		path = "/"
	}
	sreq.URL = &url.URL{Path: path, RawPath: req.URL.RawPath, RawQuery: req.URL.RawQuery}
	sreq.Host = req.URL.Host
	sreq.RequestURI = sreq.URL.RequestURI()
	if sreq.Body == nil {
		sreq.Body = http.NoBody
	}
	return sreq
}

func closeRequestBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}

func contentLength(h http.Header) int64 {
	n, err := strconv.ParseInt(h.Get("Content-Length"), 10, 64)
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// pipeResponseWriter is the ResponseWriter of an in-process request: the
// status and a copy of the header are taken at the first WriteHeader or
// Write, and the body goes to a pipe the caller reads.
type pipeResponseWriter struct {
	header http.Header
	body   io.Writer
	once   sync.Once
	ready  chan struct{} // closed once status and sent are set
	status int
	sent   http.Header
}

func (w *pipeResponseWriter) Header() http.Header { return w.header }

func (w *pipeResponseWriter) WriteHeader(status int) {
	w.once.Do(func() {
		w.status, w.sent = status, w.header.Clone()
		close(w.ready)
	})
}

func (w *pipeResponseWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(p)
}

// finish ends the response once the handler has returned or panicked: a
// handler that wrote nothing answered 200 with no body, one that panicked
// failed the request.
func (w *pipeResponseWriter) finish(pw *io.PipeWriter) {
	if v := recover(); v != nil {
		err := fmt.Errorf("in-process registry handler panicked: %v", v)
		w.header = http.Header{}
		w.WriteHeader(http.StatusInternalServerError)
		_ = pw.CloseWithError(err)
		return
	}
	w.WriteHeader(http.StatusOK)
	_ = pw.Close()
}
