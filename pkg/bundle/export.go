package bundle

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	vnotation "github.com/vouchsec/vouch/pkg/notation"
	"github.com/vouchsec/vouch/pkg/policy"
	"github.com/vouchsec/vouch/pkg/registry"
	"github.com/vouchsec/vouch/pkg/report"
	"github.com/vouchsec/vouch/verify"
)

// ExportOptions configure an export. Output is required; the zero value
// of every other field is safe.
type ExportOptions struct {
	// Output is where the bundle goes: a tar file when it ends in .tar
	// (replaced whole, or left as it was), else a directory, which must
	// not exist yet.
	Output string
	// WithLayers adds the image's layer blobs. Without it the bundle holds
	// the image's manifests and configs only, which is all verification
	// needs; its manifests then name layers the bundle lacks.
	WithLayers bool
	// Reference is the image as the user named it, recorded in the
	// bundle; a tag in it is served by the bundle. Empty means the digest.
	Reference string
	// Policy, when set, is bundled with the key and certificate files it
	// names, and the image is verified against it at export: the report
	// is bundled too.
	Policy *policy.Policy
	// Notation configures the notation verifier of that verification;
	// revocation is checked online.
	Notation vnotation.VerifyOptions
	// CRLClient fetches the CRLs that notation certificates point at; nil
	// means a client with CRLTimeout.
	CRLClient *http.Client
	// Now is when the bundle is made and verified; zero means the current
	// time.
	Now time.Time
	// Logger receives debug logs; nil discards them.
	Logger *slog.Logger
}

// ExportResult tells what Export wrote.
type ExportResult struct {
	// Output is where the bundle is.
	Output string
	// Image is the image exported.
	Image name.Digest
	// Entries are what the bundle's index.json lists.
	Entries []Entry
	// Size is the bundle's size in bytes: the tar file's, or the sum of
	// the directory's files.
	Size int64
	// Report is the verification made at export; nil without a policy.
	Report *verify.Report
	// CRLs are the URLs of the CRLs bundled; MissingCRLs those that could
	// not be fetched, with why. Offline verification of a certificate
	// whose CRL is missing fails its revocation check.
	CRLs        []string
	MissingCRLs map[string]string
}

// Export writes a bundle of the image d and its evidence, read through
// client, to opts.Output. It writes into a temporary directory beside the
// output and moves the result into place last, so a failed export leaves
// nothing behind. A verification that fails is not an error: the bundle
// is written and the report says so.
func Export(ctx context.Context, client *registry.Client, d name.Digest, opts ExportOptions) (
	*ExportResult, error) {
	out, err := checkOutput(opts.Output)
	if err != nil {
		return nil, err
	}
	stage, err := os.MkdirTemp(filepath.Dir(out), ".vouch-bundle-*")
	if err != nil {
		return nil, fmt.Errorf("exporting bundle: %w", err)
	}
	defer os.RemoveAll(stage)
	e := &exporter{client: client, d: d, opts: opts, log: discardNil(opts.Logger), now: opts.Now}
	if e.now.IsZero() {
		e.now = time.Now()
	}
	res, err := e.run(ctx, stage)
	if err != nil {
		return nil, fmt.Errorf("exporting %s: %w", d, err)
	}
	res.Output = out
	if res.Size, err = publish(stage, out, e.now); err != nil {
		return nil, fmt.Errorf("exporting %s: %w", d, err)
	}
	return res, nil
}

func discardNil(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}

// isTar reports whether a bundle path names a tar file.
func isTar(path string) bool { return strings.EqualFold(filepath.Ext(path), ".tar") }

// checkOutput refuses an output that cannot be written whole.
func checkOutput(path string) (string, error) {
	if path == "" {
		return "", errors.New("exporting bundle: no output given")
	}
	out := filepath.Clean(path)
	fi, err := os.Stat(out)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return out, nil
	case err != nil:
		return "", fmt.Errorf("exporting bundle: %w", err)
	case !isTar(out):
		return "", fmt.Errorf("exporting bundle: %s exists; a bundle directory is written whole, "+
			"into a path that does not exist", out)
	case !fi.Mode().IsRegular():
		return "", fmt.Errorf("exporting bundle: %s exists and is not a regular file", out)
	}
	// An audit bundle is evidence: never replaced by a later export.
	return "", fmt.Errorf("exporting bundle: %s exists; remove it or choose another name", out)
}

// exporter is one export.
type exporter struct {
	client *registry.Client
	d      name.Digest
	opts   ExportOptions
	log    *slog.Logger
	now    time.Time
}

func (e *exporter) run(ctx context.Context, dir string) (*ExportResult, error) {
	w, err := newLayoutWriter(dir)
	if err != nil {
		return nil, err
	}
	if err := e.collect(ctx, w); err != nil {
		return nil, err
	}
	res := &ExportResult{Image: e.d}
	staged, err := e.serve(dir)
	if err != nil {
		return nil, err
	}
	if err := e.crls(ctx, w, staged, res); err != nil {
		return nil, err
	}
	if e.opts.Policy != nil {
		if err := e.policy(ctx, w, staged, res); err != nil {
			return nil, err
		}
	}
	if err := w.writeIndex(); err != nil {
		return nil, err
	}
	b, err := inspect(dir, e.d.Context(), false)
	if err != nil {
		return nil, fmt.Errorf("checking the bundle written: %w", err)
	}
	res.Entries = b.entries
	return res, nil
}

// collect writes the image and its evidence, read from the registry, and
// an index.json that lists them.
func (e *exporter) collect(ctx context.Context, w *layoutWriter) error {
	c := &collector{client: e.client, ropts: e.client.RemoteOptions(ctx), w: w,
		layers: e.opts.WithLayers, log: e.log}
	children, err := c.image(ctx, e.d, e.imageAnnotations())
	if err != nil {
		return err
	}
	// The evidence of the image, and of each platform image of an index,
	// which may be signed and attested on its own.
	seen := map[v1.Hash]bool{}
	for _, d := range append([]name.Digest{e.d}, children...) {
		if err := c.cosign(ctx, d); err != nil {
			return err
		}
		if err := c.referrers(ctx, d, 1, seen); err != nil {
			return err
		}
	}
	return w.writeIndex()
}

func (e *exporter) imageAnnotations() map[string]string {
	ref := e.opts.Reference
	if ref == "" {
		ref = e.d.String()
	}
	ann := map[string]string{
		AnnotationKind:       string(KindImage),
		AnnotationRepository: e.d.Context().Name(),
		AnnotationReference:  ref,
		AnnotationLayers:     strconv.FormatBool(e.opts.WithLayers),
		AnnotationCreated:    e.now.UTC().Format(time.RFC3339),
	}
	if t, err := name.NewTag(ref, name.StrictValidation); err == nil {
		ann[annotationRefName] = t.TagStr()
	}
	return ann
}

// serve returns a client that reads the staged layout in dir and nothing
// else.
func (e *exporter) serve(dir string) (*registry.Client, error) {
	l, err := registry.OpenLayout(dir, e.d.Context(), registry.WithLayoutLogger(e.log))
	if err != nil {
		return nil, err
	}
	return registry.New(registry.WithTransport(NoNetwork{}), registry.WithLayout(l),
		registry.WithLogger(e.log)), nil
}

// crls fetches and writes the CRLs the bundled notation certificates
// point at.
func (e *exporter) crls(ctx context.Context, w *layoutWriter, staged *registry.Client,
	res *ExportResult) error {
	ev, err := vnotation.Discover(ctx, e.d, vnotation.RegistryOptions{Transport: staged.Transport()})
	if err != nil {
		return fmt.Errorf("reading the bundled notation evidence: %w", err)
	}
	urls, err := crlURLs(ev)
	if err != nil || len(urls) == 0 {
		return err
	}
	bodies, failed := fetchCRLs(ctx, e.opts.CRLClient, urls)
	res.CRLs = slices.Sorted(maps.Keys(bodies))
	for u, ferr := range failed {
		e.log.WarnContext(ctx, "bundle: CRL not fetched", "url", u, "error", ferr)
		if res.MissingCRLs == nil {
			res.MissingCRLs = map[string]string{}
		}
		res.MissingCRLs[u] = ferr.Error()
	}
	return writeCRLs(w, bodies)
}

// policy bundles the policy and its files, verifies the staged bundle
// against it and bundles the report. The evidence verified is what the
// bundle holds; revocation is checked online.
func (e *exporter) policy(ctx context.Context, w *layoutWriter, staged *registry.Client,
	res *ExportResult) error {
	if err := writeTrust(w, e.opts.Policy); err != nil {
		return err
	}
	img := verify.Digest(ctx, e.d, verify.Options{
		Policy:   e.opts.Policy,
		Resolver: staged,
		Backends: []verify.Backend{
			verify.NewCosignBackend(staged.RemoteOptions(ctx)),
			verify.NewSigstoreBundleBackend(staged.RemoteOptions(ctx)),
			verify.NewNotationBackend(vnotation.RegistryOptions{Transport: staged.Transport()},
				e.opts.Notation),
		},
		ImageReader: staged,
		Now:         e.now,
		Logger:      e.log,
	})
	if img.Status == verify.StatusError {
		return fmt.Errorf("verifying at export: %w", img.Err)
	}
	if e.opts.Reference != "" {
		img.Reference = e.opts.Reference
	}
	res.Report = &verify.Report{
		SchemaVersion: verify.SchemaVersion,
		Policy:        e.opts.Policy.Path,
		Time:          e.now.UTC(),
		Passed:        img.Passed(),
		Images:        []*verify.ImageResult{img},
	}
	var buf bytes.Buffer
	if err := report.WriteJSON(&buf, res.Report); err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	desc, err := w.bytes(mediaTypeJSON, buf.Bytes())
	if err != nil {
		return err
	}
	desc.Annotations = map[string]string{annotationTitle: "report.json"}
	_, err = w.artifact(KindReport, ArtifactTypeReport, []v1.Descriptor{desc})
	return err
}
