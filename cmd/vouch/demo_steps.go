package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/vouchsec/vouch/pkg/registry"
)

// run is the demo's script.
func (d *demo) run(ctx context.Context) error {
	start := time.Now()
	fmt.Fprintf(d.out, "vouch demo: an OCI registry is serving on http://%s (in this process)\n", d.host)
	fmt.Fprintf(d.out, "work directory: %s\n", d.dir)

	d.say("1. Push the sample image (an index for linux/amd64 and linux/arm64) to staging")
	tag, err := name.NewTag(d.ref("staging/app:1.0.0"))
	if err != nil {
		return err
	}
	h, err := registry.PushLayout(ctx, d.reg, d.path("testdata/image"), tag)
	if err != nil {
		return fmt.Errorf("pushing the sample image: %w", err)
	}
	app := d.ref("staging/app@" + h.String())
	fmt.Fprintf(d.out, "pushed %s\n", app)

	if err := d.keysAndEvidence(ctx, app); err != nil {
		return err
	}
	if err := d.verifyAndPromote(ctx, app); err != nil {
		return err
	}
	if err := d.refusals(ctx, h); err != nil {
		return err
	}
	fmt.Fprintf(d.out, "\nDemo complete in %s: the good image was promoted with its evidence; "+
		"the tampered and the vulnerable images were refused.\n", time.Since(start).Round(time.Millisecond))
	return nil
}

func (d *demo) keysAndEvidence(ctx context.Context, app string) error {
	d.say("2. Generate the release key and the CI key (password from VOUCH_PASSWORD), and the\n" +
		"   release team's Notary Project key with a development certificate")
	if err := os.MkdirAll(d.path("examples/keys"), 0o700); err != nil {
		return err
	}
	for _, k := range []string{"examples/keys/release", "examples/keys/ci"} {
		if err := d.vouch(ctx, exitOK, "key", "generate", "--output-key-prefix", d.path(k)); err != nil {
			return err
		}
	}
	if err := d.vouch(ctx, exitOK, "key", "generate", "--type", "notation",
		"--subject", demoNotarySubject, "--output-key-prefix", d.path("examples/keys/notary")); err != nil {
		return err
	}
	d.say("3. Sign the image's digest with the release key (cosign) and the Notary certificate (notation)")
	if err := d.sign(ctx, app); err != nil {
		return err
	}
	d.say("4. Attest the SBOM and the scan report with the CI key")
	fmt.Fprintln(d.out, "(the sample SBOM and report are real but old: the demo stamps them with "+
		"the current time, as a fresh build and scan would be)")
	for _, f := range []string{"testdata/sbom/sample.spdx.json", "testdata/scan/clean.trivy.json",
		"testdata/scan/critical.trivy.json"} {
		if err := freshen(d.path(f), time.Now()); err != nil {
			return err
		}
	}
	if err := d.vouch(ctx, exitOK, "attest", "--key", d.path("examples/keys/ci.key"),
		"--sbom", d.path("testdata/sbom/sample.spdx.json"), app); err != nil {
		return err
	}
	return d.vouch(ctx, exitOK, "attest", "--key", d.path("examples/keys/ci.key"),
		"--scan", d.path("testdata/scan/clean.trivy.json"), app)
}

func (d *demo) verifyAndPromote(ctx context.Context, app string) error {
	pol := d.path("examples/trust-policy.yaml")
	d.say("5. Verify in staging against examples/trust-policy.yaml")
	if err := d.vouch(ctx, exitOK, "verify", "--policy", pol, app); err != nil {
		return err
	}
	d.say("6. Promote to prod: verify against the prod policies too, copy image and evidence, tag last")
	prod := d.ref("prod/app:1.0.0")
	if err := d.vouch(ctx, exitOK, "promote", "--policy", pol, app, prod); err != nil {
		return err
	}
	d.say("7. Verify in prod, by tag (resolved once to the digest)")
	if err := d.vouch(ctx, exitOK, "verify", "--policy", pol, prod); err != nil {
		return err
	}
	d.say("8. Promote again: everything is already there, nothing is written")
	return d.vouch(ctx, exitOK, "promote", "--policy", pol, app, prod)
}

func (d *demo) refusals(ctx context.Context, good v1.Hash) error {
	pol := d.path("examples/trust-policy.yaml")
	d.say("9. A tampered copy: the index changed, the old signature copied beside it")
	tampered, err := d.tamper(ctx, good)
	if err != nil {
		return err
	}
	if err := d.vouch(ctx, exitPolicy, "verify", "--policy", pol, tampered); err != nil {
		return err
	}
	if err := d.vouch(ctx, exitPolicy, "promote", "--policy", pol, tampered,
		d.ref("prod/app:1.0.1")); err != nil {
		return err
	}
	if _, _, err := d.reg.Resolve(ctx, d.ref("prod/app:1.0.1")); err == nil {
		return fmt.Errorf("%w: prod/app:1.0.1 exists after a refused promotion", errDemo)
	}
	fmt.Fprintln(d.out, "prod/app:1.0.1 does not exist: nothing was written")

	d.say("10. An image whose scan has a critical finding")
	vuln, err := d.vulnerable(ctx, good)
	if err != nil {
		return err
	}
	return d.vouch(ctx, exitPolicy, "promote", "--policy", pol, vuln, d.ref("prod/tools:1.0.0"))
}

// demoNotarySubject is the subject of the demo's notation certificate, as
// examples/trust-policy.yaml names it.
const demoNotarySubject = "CN=release,O=Example,ST=WA,C=US"

// sign signs ref with both release signers.
func (d *demo) sign(ctx context.Context, ref string) error {
	if err := d.vouch(ctx, exitOK, "sign", "--key", d.path("examples/keys/release.key"), ref); err != nil {
		return err
	}
	return d.vouch(ctx, exitOK, "sign", "--backend", "notation",
		"--key", d.path("examples/keys/notary.key"), "--cert", d.path("examples/keys/notary.crt"), ref)
}

// tamper pushes a changed copy of the good index and copies the good
// image's signature manifest to the copy's signature tag, as an attacker
// who can write to the registry would.
func (d *demo) tamper(ctx context.Context, good v1.Hash) (string, error) {
	ropts := d.reg.RemoteOptions(ctx)
	src, err := name.NewDigest(d.ref("staging/app@" + good.String()))
	if err != nil {
		return "", err
	}
	idx, err := remote.Index(src, ropts...)
	if err != nil {
		return "", err
	}
	changed := mutate.Annotations(idx, map[string]string{"org.example.tampered": "yes"}).(v1.ImageIndex)
	h, err := changed.Digest()
	if err != nil {
		return "", err
	}
	tag, err := name.NewTag(d.ref("staging/app:1.0.1"))
	if err != nil {
		return "", err
	}
	if err := remote.WriteIndex(tag, changed, ropts...); err != nil {
		return "", err
	}
	sig, err := remote.Image(src.Context().Tag(good.Algorithm+"-"+good.Hex+".sig"), ropts...)
	if err != nil {
		return "", err
	}
	if err := remote.Write(src.Context().Tag(h.Algorithm+"-"+h.Hex+".sig"), sig, ropts...); err != nil {
		return "", err
	}
	ref := d.ref("staging/app@" + h.String())
	fmt.Fprintf(d.out, "pushed %s with the signature of %s\n", ref, good)
	return ref, nil
}

// vulnerable copies the good index's first platform image to its own
// repository, signs it, and attests a scan with a critical finding.
func (d *demo) vulnerable(ctx context.Context, good v1.Hash) (string, error) {
	src, err := name.NewDigest(d.ref("staging/app@" + good.String()))
	if err != nil {
		return "", err
	}
	idx, err := remote.Index(src, d.reg.RemoteOptions(ctx)...)
	if err != nil {
		return "", err
	}
	im, err := idx.IndexManifest()
	if err != nil || len(im.Manifests) == 0 {
		return "", fmt.Errorf("%w: reading the sample index: %v", errDemo, err)
	}
	child := im.Manifests[0].Digest
	dst, err := name.NewRepository(d.ref("staging/tools"))
	if err != nil {
		return "", err
	}
	if _, err := d.reg.Copy(ctx, src.Context().Digest(child.String()), dst); err != nil {
		return "", err
	}
	ref := d.ref("staging/tools@" + child.String())
	if err := d.sign(ctx, ref); err != nil {
		return "", err
	}
	if err := d.vouch(ctx, exitOK, "attest", "--key", d.path("examples/keys/ci.key"),
		"--sbom", d.path("testdata/sbom/sample.spdx.json"), ref); err != nil {
		return "", err
	}
	err = d.vouch(ctx, exitOK, "attest", "--key", d.path("examples/keys/ci.key"),
		"--scan", d.path("testdata/scan/critical.trivy.json"), ref)
	return ref, err
}
