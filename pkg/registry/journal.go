package registry

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
)

// journalName is the file in ServeOptions.Dir that records manifest writes.
const journalName = "manifests.jsonl"

// maxManifestSize bounds a manifest the embedded registry accepts; the OCI
// distribution spec asks registries to take at least 4 MiB.
const maxManifestSize = 4 << 20

// journalEntry is one successful manifest PUT or DELETE, as received.
type journalEntry struct {
	Method      string `json:"method"`
	Path        string `json:"path"`
	ContentType string `json:"contentType,omitempty"`
	Body        []byte `json:"body,omitempty"`
}

// journal keeps ggcr's in-memory manifests across restarts: it appends every
// successful manifest write to a file and replays the file into a fresh
// handler at start. Blobs need no journal: they are files already.
type journal struct {
	path   string
	next   http.Handler
	logger *slog.Logger
	mu     sync.Mutex // serializes manifest writes, so the file keeps their order
}

func openJournal(path string, next http.Handler, logger *slog.Logger) (*journal, error) {
	j := &journal{path: path, next: next, logger: logger}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return j, nil
	}
	if err != nil {
		return nil, fmt.Errorf("opening manifest journal: %w", err)
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	for n := 1; ; n++ {
		var e journalEntry
		if err := dec.Decode(&e); errors.Is(err, io.EOF) {
			return j, nil
		} else if err != nil {
			return nil, fmt.Errorf("reading manifest journal %s: entry %d: %w", path, n, err)
		}
		if status := j.apply(e); status/100 != 2 {
			return nil, fmt.Errorf("replaying manifest journal %s: entry %d (%s %s): status %d",
				path, n, e.Method, e.Path, status)
		}
	}
}

// apply sends a recorded write to the handler and returns its status.
func (j *journal) apply(e journalEntry) int {
	req, err := http.NewRequest(e.Method, e.Path, bytes.NewReader(e.Body))
	if err != nil || !isManifestWrite(req) {
		return http.StatusBadRequest
	}
	if e.ContentType != "" {
		req.Header.Set("Content-Type", e.ContentType)
	}
	w := &statusWriter{ResponseWriter: discardWriter{header: http.Header{}}}
	j.next.ServeHTTP(w, req)
	return w.code()
}

func (j *journal) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !isManifestWrite(r) {
		j.next.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxManifestSize+1))
	if err != nil {
		http.Error(w, "reading manifest: "+err.Error(), http.StatusBadRequest)
		return
	}
	if len(body) > maxManifestSize {
		http.Error(w, "manifest larger than 4 MiB", http.StatusRequestEntityTooLarge)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))

	j.mu.Lock()
	defer j.mu.Unlock()
	sw := &statusWriter{ResponseWriter: w}
	j.next.ServeHTTP(sw, r)
	if sw.code()/100 != 2 {
		return
	}
	e := journalEntry{Method: r.Method, Path: r.URL.Path, Body: body,
		ContentType: r.Header.Get("Content-Type")}
	if err := j.append(e); err != nil {
		// The write is served from memory but will not survive a restart.
		j.logger.ErrorContext(r.Context(), "recording manifest write",
			"path", r.URL.Path, "journal", j.path, "error", err)
	}
}

func (j *journal) append(e journalEntry) error {
	line, err := json.Marshal(e)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(j.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func isManifestWrite(r *http.Request) bool {
	if r.Method != http.MethodPut && r.Method != http.MethodDelete {
		return false
	}
	return strings.HasPrefix(r.URL.Path, "/v2/") && strings.Contains(r.URL.Path, "/manifests/")
}

// statusWriter remembers the status code a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) code() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

// discardWriter is a ResponseWriter for replayed requests: it drops the body.
type discardWriter struct{ header http.Header }

func (d discardWriter) Header() http.Header         { return d.header }
func (d discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d discardWriter) WriteHeader(int)             {}
