package testreg

import (
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/handlers"
	// Registers the "inmemory" storage driver.
	_ "github.com/distribution/distribution/v3/registry/storage/driver/inmemory"
	"github.com/sirupsen/logrus"
)

// Distribution starts the CNCF distribution registry (v3) in process on
// 127.0.0.1 with in-memory storage and no authentication, and returns its
// host:port. It has no referrers API: clients use the tag schema.
func Distribution(t testing.TB) (host string) {
	t.Helper()
	return serve(t, distributionHandler(t))
}

// DistributionCounted is Distribution with a Counter on every request.
func DistributionCounted(t testing.TB) (host string, c *Counter) {
	t.Helper()
	c = &Counter{}
	return serve(t, c.Wrap(distributionHandler(t))), c
}

func distributionHandler(t testing.TB) http.Handler {
	t.Helper()
	// distribution logs every request through logrus's standard logger.
	logrus.SetOutput(io.Discard)
	logrus.SetLevel(logrus.PanicLevel)

	cfg := &configuration.Configuration{}
	cfg.Storage = configuration.Storage{
		"inmemory": configuration.Parameters{},
		// No background upload purger: it would outlive the test.
		"maintenance": configuration.Parameters{
			"uploadpurging": map[any]any{"enabled": false},
		},
		"delete": configuration.Parameters{"enabled": true},
	}
	// Uploads are signed with this secret; one instance needs no real one.
	cfg.HTTP.Secret = "vouch-testreg"

	app := handlers.NewApp(context.Background(), cfg)
	t.Cleanup(func() {
		if err := app.Shutdown(); err != nil {
			t.Errorf("stopping distribution registry: %v", err)
		}
	})
	return app
}
