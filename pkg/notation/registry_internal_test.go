package notation

import (
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"oras.land/oras-go/v2/registry/remote/auth"
)

// TestRepositoryAuthCache checks that repositories opened with one
// AuthCache share it, and that without one each gets its own.
func TestRepositoryAuthCache(t *testing.T) {
	cacheOf := func(o RegistryOptions, repo string) auth.Cache {
		t.Helper()
		n, err := name.NewRepository(repo)
		if err != nil {
			t.Fatal(err)
		}
		r, err := o.repository(n)
		if err != nil {
			t.Fatal(err)
		}
		return r.Client.(*auth.Client).Cache
	}
	shared := auth.NewCache()
	o := RegistryOptions{AuthCache: shared}
	if cacheOf(o, "127.0.0.1:5000/app") != shared || cacheOf(o, "127.0.0.1:5000/web") != shared {
		t.Error("a repository does not use the AuthCache given")
	}
	var zero RegistryOptions
	if cacheOf(zero, "127.0.0.1:5000/app") == cacheOf(zero, "127.0.0.1:5000/app") {
		t.Error("without an AuthCache two repositories share one")
	}
}
