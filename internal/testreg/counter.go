package testreg

import (
	"net/http"
	"sync/atomic"
)

// Counter counts the requests a registry receives, for request-budget
// tests and benchmarks.
type Counter struct {
	all    atomic.Int64
	writes atomic.Int64
}

// Wrap returns next, counting every request it serves.
func (c *Counter) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.all.Add(1)
		switch r.Method {
		case http.MethodPut, http.MethodPost, http.MethodPatch, http.MethodDelete:
			c.writes.Add(1)
		}
		next.ServeHTTP(w, r)
	})
}

// Count returns the number of requests since the start or the last Reset.
func (c *Counter) Count() int64 { return c.all.Load() }

// Writes returns the number of PUT, POST, PATCH and DELETE requests since
// the start or the last Reset.
func (c *Counter) Writes() int64 { return c.writes.Load() }

// Reset sets both counts to zero.
func (c *Counter) Reset() {
	c.all.Store(0)
	c.writes.Store(0)
}
