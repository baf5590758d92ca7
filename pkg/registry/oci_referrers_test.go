package registry_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/vouchsec/vouch/pkg/registry"
	"oras.land/oras-go/v2/content"
	orasremote "oras.land/oras-go/v2/registry/remote"
)

func TestLayoutReferrersGGCR(t *testing.T) {
	dir := corpusLayout(t, "e2e-valid-signature")
	for _, scope := range scopes {
		t.Run(scope, func(t *testing.T) {
			l := openLayout(t, dir, scope)
			d := mustDigest(t, scope+"@"+e2eImage)
			tests := []struct {
				filter string
				want   int
			}{
				{"", 1},
				{notaryType, 1},
				{"application/vnd.example.other", 0},
			}
			for _, tt := range tests {
				opts := layoutOptions(t, l)
				if tt.filter != "" {
					opts = append(opts, remote.WithFilter("artifactType", tt.filter))
				}
				idx, err := remote.Referrers(d, opts...)
				if err != nil {
					t.Fatalf("referrers of %s (%q): %v", d, tt.filter, err)
				}
				im, err := idx.IndexManifest()
				if err != nil {
					t.Fatal(err)
				}
				if len(im.Manifests) != tt.want {
					t.Fatalf("referrers of %s (%q) = %+v, want %d", d, tt.filter, im.Manifests, tt.want)
				}
				if tt.want == 1 {
					got := im.Manifests[0]
					if got.Digest.String() != e2eSig || got.ArtifactType != notaryType || got.Size != 728 {
						t.Errorf("referrer = %+v, want the notation signature %s", got, e2eSig)
					}
					if got.Annotations["org.opencontainers.image.created"] == "" {
						t.Errorf("referrer %s lost its manifest's annotations: %v", got.Digest, got.Annotations)
					}
				}
			}
		})
	}
}

// TestLayoutReferrersORAS lists referrers as notation-go does, through
// oras-go, by the referrers API and by the tag schema.
func TestLayoutReferrersORAS(t *testing.T) {
	dir := corpusLayout(t, "e2e-valid-signature")
	for _, scope := range scopes {
		for _, api := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/api=%v", scope, api), func(t *testing.T) {
				l := openLayout(t, dir, scope)
				c := registry.New(registry.WithLayout(l), registry.WithTransport(&noNetwork{t: t}))
				repo, err := orasremote.NewRepository(scope)
				if err != nil {
					t.Fatal(err)
				}
				repo.Client = &http.Client{Transport: c.Transport()}
				if err := repo.SetReferrersCapability(api); err != nil {
					t.Fatal(err)
				}
				subject, err := repo.Resolve(t.Context(), "v1")
				if err != nil || subject.Digest.String() != e2eImage {
					t.Fatalf("oras Resolve(v1) = %+v, %v; want %s", subject, err, e2eImage)
				}
				var got []ocispec.Descriptor
				err = repo.Referrers(t.Context(), subject, notaryType, func(r []ocispec.Descriptor) error {
					got = append(got, r...)
					return nil
				})
				if err != nil {
					t.Fatalf("oras Referrers (API %v): %v", api, err)
				}
				if len(got) != 1 || got[0].Digest.String() != e2eSig || got[0].ArtifactType != notaryType {
					t.Fatalf("oras Referrers (API %v) = %+v, want the signature %s", api, got, e2eSig)
				}
				envelope := ocispec.Descriptor{
					MediaType: "application/jose+json", Digest: digest.Digest(e2eEnvelope), Size: 2070,
				}
				rc, err := repo.Fetch(t.Context(), envelope)
				if err != nil {
					t.Fatalf("oras Fetch(envelope): %v", err)
				}
				defer rc.Close()
				if _, err := content.ReadAll(rc, envelope); err != nil {
					t.Errorf("oras reading the envelope: %v", err)
				}
			})
		}
	}
}

func TestLayoutReferrersEndpoint(t *testing.T) {
	l := openLayout(t, corpusLayout(t, "e2e-valid-signature"), scopes[0])
	tests := []struct {
		name, path string
		status     int
		filtered   bool
	}{
		{"all", "/v2/e2e/referrers/" + e2eImage, http.StatusOK, false},
		{"filtered", "/v2/e2e/referrers/" + e2eImage + "?artifactType=" + notaryType,
			http.StatusOK, true},
		{"none", "/v2/e2e/referrers/" + someDigest, http.StatusOK, false},
		{"other repository", "/v2/other/referrers/" + e2eImage, http.StatusNotFound, false},
		{"bad digest", "/v2/e2e/referrers/sha256:abc", http.StatusBadRequest, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := layoutGet(t, l, http.MethodGet, "https", tt.path)
			if resp.StatusCode != tt.status {
				t.Fatalf("GET %s = %d, want %d", tt.path, resp.StatusCode, tt.status)
			}
			applied := resp.Header.Get("OCI-Filters-Applied")
			if got := applied == "artifactType"; got != tt.filtered {
				t.Errorf("OCI-Filters-Applied = %q, want filtered %v", applied, tt.filtered)
			}
			if tt.status == http.StatusOK && resp.Header.Get("Content-Type") != ocispec.MediaTypeImageIndex {
				t.Errorf("Content-Type = %q, want an image index", resp.Header.Get("Content-Type"))
			}
		})
	}
}
