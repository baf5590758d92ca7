package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/spf13/cobra"

	"github.com/vouchsec/vouch/pkg/bundle"
	vnotation "github.com/vouchsec/vouch/pkg/notation"
	"github.com/vouchsec/vouch/pkg/policy"
	"github.com/vouchsec/vouch/pkg/registry"
	"github.com/vouchsec/vouch/verify"
)

// offlineKey is the context key under which offlineImages leaves the
// bundle it opened for offlineVerifyOptions.
type offlineKey struct{}

// offlineImages opens the bundle of vouch verify --offline --bundle FILE
// (a tar file or a directory) and returns the digest references to
// verify: the bundle's image when images is empty, else images, which
// must be in the repository the bundle was exported from. An OCI image
// layout that is not a vouch bundle (a corpus layout, what cosign save
// wrote) is served as the repository its images name, which must then be
// given. The bundle is read within the limits of cmd's
// --max-bundle-size and --max-bundle-entries flags, when it has them.
// The bundle's layout is registered in g.layouts and recorded on
// cmd's context for offlineVerifyOptions; cleanup removes what opening
// unpacked, once verification is done, and warns of the revocation
// requests the bundle could not answer.
func (g *globals) offlineImages(cmd *cobra.Command, bundleFile string, images []string) (
	[]string, func(), error) {
	var repo name.Repository
	digests := make([]name.Digest, len(images))
	for i, img := range images {
		d, err := name.NewDigest(img)
		if err != nil {
			return nil, nil, usageErr(fmt.Errorf("%s: with --offline, name the image by digest "+
				"(REPO@sha256:…): %w", img, err))
		}
		if i > 0 && d.Context().Name() != repo.Name() {
			return nil, nil, usageErr(fmt.Errorf("%s and %s: one bundle holds one repository",
				repo.Name(), d.Context().Name()))
		}
		repo, digests[i] = d.Context(), d
	}
	limits, err := limitsOf(cmd)
	if err != nil {
		return nil, nil, err
	}
	b, err := bundle.Open(bundleFile, bundle.OpenOptions{Repository: repo, Limits: limits,
		Logger: g.logger})
	if errors.Is(err, bundle.ErrNotBundle) {
		err = fmt.Errorf("%w: name its image (REPO@sha256:…) to verify it as an OCI layout", err)
	}
	if err != nil {
		return nil, nil, usageErr(err)
	}
	refs := make([]string, len(digests))
	for i, d := range digests {
		if !b.IsImage(d.DigestStr()) {
			_ = b.Close()
			return nil, nil, usageErr(fmt.Errorf("%s: the bundle holds evidence for %s (and the "+
				"platform images of its index), not for %s", d, b.Image(), d.DigestStr()))
		}
		refs[i] = d.String()
	}
	if len(refs) == 0 {
		refs = []string{b.Image().String()}
		fmt.Fprintf(g.io.err, "note: policies are matched against %s, the repository the bundle's "+
			"index names (nothing signs that label), and against the repositories its evidence "+
			"names; to check the image against the repository you expect, name it: %s@%s\n",
			b.Image().Context().Name(), "REPO", b.Image().DigestStr())
	}
	g.layouts = append(g.layouts, b.Layout())
	cmd.SetContext(context.WithValue(cmd.Context(), offlineKey{}, b))
	cleanup := func() {
		for _, u := range b.Refused() {
			fmt.Fprintf(g.io.err, "vouch: offline: the bundle holds no answer to %s: "+
				"revocation status unknown\n", u)
		}
		_ = b.Close()
	}
	return refs, cleanup, nil
}

// limitsOf returns the bundle limits cmd's --max-bundle-size and
// --max-bundle-entries flags set, where cmd has them (see
// bundleLimitFlags), else the defaults.
func limitsOf(cmd *cobra.Command) (bundle.Limits, error) {
	var l bundle.Limits
	if cmd.Flags().Lookup("max-bundle-size") != nil {
		l.MaxSize, _ = cmd.Flags().GetInt64("max-bundle-size")
	}
	if cmd.Flags().Lookup("max-bundle-entries") != nil {
		l.MaxEntries, _ = cmd.Flags().GetInt("max-bundle-entries")
	}
	if l.MaxSize < 0 || l.MaxEntries < 0 || (cmd.Flags().Changed("max-bundle-size") && l.MaxSize == 0) ||
		(cmd.Flags().Changed("max-bundle-entries") && l.MaxEntries == 0) {
		return l, usageErr(fmt.Errorf("--max-bundle-size %d, --max-bundle-entries %d: want at least 1 each",
			l.MaxSize, l.MaxEntries))
	}
	return l, nil
}

// offlineVerifyOptions loads the policy and sets up verification from the
// bundle that offlineImages opened, with no network of any kind: the
// registry client reads the bundle's layout and nothing else (its base
// transport is bundle.NoNetwork), and notation's revocation checks get
// the bundle's CRLs and nothing else. An empty policyFile means the
// policy bundled at export, read with the key and certificate files
// bundled beside it. at, unless zero, is the moment the policy's rules
// are evaluated at.
//
// notation-go checks certificate validity, signature expiry and CRL
// freshness against the current clock, whatever at says, so a bundle
// verified after its CRLs' next update fails revocation at level strict
// (closed, never open; docs/bundle.md says so).
func (g *globals) offlineVerifyOptions(cmd *cobra.Command, policyFile string, at time.Time) (
	verify.Options, error) {
	b, ok := cmd.Context().Value(offlineKey{}).(*bundle.Bundle)
	if !ok {
		return verify.Options{}, errors.New("offline verification: no bundle opened")
	}
	if policyFile == "" {
		p, err := b.Policy()
		if err != nil {
			return verify.Options{}, usageErr(err)
		}
		if p == "" {
			return verify.Options{}, usageErr(errors.New(
				"--offline: the bundle holds no policy: give --policy"))
		}
		policyFile = p
		fmt.Fprintln(cmd.ErrOrStderr(), "warning: verifying against the policy inside the bundle, "+
			"with its keys and trust stores: a bundle that vouches for itself proves only that it is "+
			"consistent. Give --policy with your own trust policy to check it against what you trust.")
	}
	pol, err := policy.Load(policyFile)
	if err != nil {
		return verify.Options{}, usageErr(err)
	}
	reg := registry.New(registry.WithTransport(bundle.NoNetwork{}), registry.WithLayout(b.Layout()),
		registry.WithLogger(g.logger), registry.WithUserAgent("vouch/"+versionString()))
	return verify.Options{
		Policy:   pol,
		Resolver: reg,
		Backends: []verify.Backend{
			verify.NewCosignBackend(reg.RemoteOptions(cmd.Context())),
			verify.NewSigstoreBundleBackend(reg.RemoteOptions(cmd.Context())),
			verify.NewNotationBackend(g.notationRegistry(reg), vnotation.VerifyOptions{
				RevocationHTTPClient: b.RevocationClient(), Logger: g.logger,
			}),
		},
		ImageReader: reg,
		Now:         at,
		Logger:      g.logger,
		// The bundle's repository is a label in its index that nothing
		// signs: the repositories its evidence names bring their
		// policies too, so a relabelled bundle cannot escape them.
		NamedScopes: true,
	}, nil
}

// parseAt reads --at: an RFC 3339 time, or a date (midnight UTC).
func parseAt(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := parseAtTime(s)
	if err != nil {
		return t, err
	}
	if t.Year() < 1970 || t.Year() > 9000 {
		return time.Time{}, usageErr(fmt.Errorf("--at %s: want a time between 1970 and 9000", s))
	}
	return t, nil
}

func parseAtTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, usageErr(fmt.Errorf(
			"--at %q: want an RFC 3339 time or a date (2026-01-31)", s))
	}
	return t, nil
}
