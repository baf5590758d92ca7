package inspect

import (
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/sigstore/sigstore-go/pkg/bundle"
)

// Envelope name of a Sigstore bundle over a message digest.
const EnvelopeMessageSignature = "message-signature"

// sigstoreBundle describes a Sigstore bundle referrer from the bundle,
// parsed with sigstore-go and not verified: its signer (certificate or
// key hint), its content and the earliest time its transparency log
// entries or timestamps record.
func (in *inspector) sigstoreBundle(ref name.Digest, m *referrerManifest, it *Item) error {
	it.Kind = KindSigstoreBundle
	if len(m.Layers) != 1 {
		return fmt.Errorf("sigstore bundle referrer with %d layers, want 1", len(m.Layers))
	}
	blob, err := in.blob(ref, m.Layers[0])
	if err != nil {
		return err
	}
	var b bundle.Bundle
	if err := b.UnmarshalJSON(blob); err != nil {
		return fmt.Errorf("parsing sigstore bundle: %w", err)
	}
	if err := bundleSigner(&b, it); err != nil {
		return err
	}
	if env, err := b.Envelope(); err == nil {
		it.Envelope = EnvelopeDSSE
		if st, err := env.Statement(); err == nil && st.GetPredicateType() != "" {
			it.PredicateType = st.GetPredicateType()
		}
	} else {
		// A signature over a digest has no statement, whatever the
		// annotation claims.
		it.Envelope, it.PredicateType = EnvelopeMessageSignature, ""
	}
	return bundleTime(&b, it)
}

// bundleSigner reads the bundle's verification material.
func bundleSigner(b *bundle.Bundle, it *Item) error {
	vm := b.GetVerificationMaterial()
	var raw []byte
	switch {
	case vm.GetCertificate() != nil:
		raw = vm.GetCertificate().GetRawBytes()
	case len(vm.GetX509CertificateChain().GetCertificates()) > 0:
		raw = vm.GetX509CertificateChain().GetCertificates()[0].GetRawBytes()
	case vm.GetPublicKey() != nil:
		it.Signer = keySigner(vm.GetPublicKey().GetHint())
		return nil
	default:
		return errors.New("the sigstore bundle names no signer")
	}
	cert, err := x509.ParseCertificate(raw)
	if err != nil {
		return fmt.Errorf("parsing the sigstore bundle's certificate: %w", err)
	}
	it.Signer = certSigner(cert)
	return nil
}

// bundleTime sets the item's time from the bundle's transparency log
// entries, else its timestamps, keeping the annotation's otherwise.
func bundleTime(b *bundle.Bundle, it *Item) error {
	entries, err := b.TlogEntries()
	if err != nil {
		return fmt.Errorf("reading the sigstore bundle's log entries: %w", err)
	}
	if t := earliest(entries, func(e int) time.Time { return entries[e].IntegratedTime() }); !t.IsZero() {
		it.Created, it.CreatedFrom = t.UTC(), CreatedFromTransparencyLog
		return nil
	}
	tokens, err := b.Timestamps()
	if err != nil {
		return fmt.Errorf("reading the sigstore bundle's timestamps: %w", err)
	}
	var errs []error
	t := earliest(tokens, func(i int) time.Time {
		got, err := tokenTime(tokens[i])
		errs = append(errs, err)
		return got
	})
	if !t.IsZero() {
		it.Created, it.CreatedFrom = t, CreatedFromTimestamp
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("reading the sigstore bundle's timestamps: %w", err)
	}
	return nil
}

// earliest returns the earliest non-zero time at(i) gives for the
// indexes of list.
func earliest[T any](list []T, at func(int) time.Time) time.Time {
	var out time.Time
	for i := range list {
		if t := at(i); !t.IsZero() && (out.IsZero() || t.Before(out)) {
			out = t
		}
	}
	return out
}
