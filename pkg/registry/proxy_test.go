package registry_test

import (
	"io"
	"net/http"
)

// rewriteHost returns a copy of r addressed to host, for forwarding.
func rewriteHost(r *http.Request, host string) *http.Request {
	out := r.Clone(r.Context())
	out.RequestURI = ""
	out.URL.Scheme = "http"
	out.URL.Host = host
	out.Host = host
	return out
}

func copyBody(w io.Writer, resp *http.Response) (int64, error) {
	return io.Copy(w, resp.Body)
}
