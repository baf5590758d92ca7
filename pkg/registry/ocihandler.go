package registry

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// readOnlyHandler serves a layout's registry: it refuses every write,
// answers the referrers API itself and passes the rest to ggcr's registry.
//
// ggcr's own referrers API reports each referrer's config media type as
// its artifactType, even when the manifest has an artifactType, and ignores
// the artifactType filter, so notation-go, which filters on
// application/vnd.cncf.notary.signature, would miss signatures.
type readOnlyHandler struct {
	layout *Layout
	next   http.Handler
}

func (h *readOnlyHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeRegistryError(w, http.StatusMethodNotAllowed, "UNSUPPORTED",
			"the OCI image layout is read-only")
		return
	}
	if repo, target, ok := referrersTarget(r.URL.Path); ok {
		h.layout.serveReferrers(w, r, repo, target)
		return
	}
	if r.Header.Get("Range") != "" {
		// A blob is verified only when it is read whole; answering a range
		// request with the whole blob is allowed.
		r = r.Clone(r.Context())
		r.Header.Del("Range")
	}
	h.next.ServeHTTP(w, r)
}

// referrersTarget splits a referrers API path, /v2/<repo>/referrers/<digest>.
func referrersTarget(path string) (repo, digest string, ok bool) {
	rest, ok := strings.CutPrefix(path, "/v2/")
	if !ok {
		return "", "", false
	}
	const sep = "/referrers/"
	i := strings.LastIndex(rest, sep)
	if i <= 0 || strings.Contains(rest[i+len(sep):], "/") {
		return "", "", false
	}
	return rest[:i], rest[i+len(sep):], true
}

// serveReferrers answers the referrers API from the manifests the layout
// holds: every one whose subject is target, with its artifact type as the
// image spec defines it and its annotations, filtered by the artifactType
// query parameter when there is one.
func (l *Layout) serveReferrers(w http.ResponseWriter, r *http.Request, repo, target string) {
	if repo != l.scope.RepositoryStr() {
		writeRegistryError(w, http.StatusNotFound, "NAME_UNKNOWN",
			"repository name not known to registry")
		return
	}
	h, err := v1.NewHash(target)
	if err != nil {
		writeRegistryError(w, http.StatusBadRequest, "DIGEST_INVALID", "provided digest is invalid")
		return
	}
	filter := r.URL.Query().Get("artifactType")
	idx := v1.IndexManifest{
		SchemaVersion: 2,
		MediaType:     types.OCIImageIndex,
		Manifests:     []v1.Descriptor{},
	}
	for _, d := range l.referrers[h] {
		if filter == "" || d.ArtifactType == filter {
			idx.Manifests = append(idx.Manifests, d)
		}
	}
	body, err := json.Marshal(idx)
	if err != nil {
		writeRegistryError(w, http.StatusInternalServerError, "UNKNOWN", err.Error())
		return
	}
	if filter != "" {
		w.Header().Set("OCI-Filters-Applied", "artifactType")
	}
	w.Header().Set("Content-Type", string(types.OCIImageIndex))
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		_, _ = w.Write(body)
	}
}

// writeRegistryError writes an error response in the distribution spec's
// format.
func writeRegistryError(w http.ResponseWriter, status int, code, message string) {
	type detail struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	body, _ := json.Marshal(struct {
		Errors []detail `json:"errors"`
	}{[]detail{{code, message}}})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
