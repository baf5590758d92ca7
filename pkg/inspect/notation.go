package inspect

import (
	"errors"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/notaryproject/notation-core-go/signature"
	"github.com/notaryproject/notation-core-go/signature/cose"
	"github.com/notaryproject/notation-core-go/signature/jws"
)

// Envelope names of notation signatures.
const (
	EnvelopeJWS  = "jws"
	EnvelopeCOSE = "cose"
)

// notationSignature describes a notation signature from its envelope,
// parsed with notation-core-go and not verified: the signing
// certificate, the signing time from the signed attributes, and whether a
// timestamp countersignature is there.
func (in *inspector) notationSignature(ref name.Digest, m *referrerManifest, it *Item) error {
	it.Kind = KindNotationSignature
	if len(m.Layers) != 1 {
		return fmt.Errorf("notation signature with %d layers, want 1", len(m.Layers))
	}
	l := m.Layers[0]
	switch string(l.MediaType) {
	case jws.MediaTypeEnvelope:
		it.Envelope = EnvelopeJWS
	case cose.MediaTypeEnvelope:
		it.Envelope = EnvelopeCOSE
	}
	blob, err := in.blob(ref, l)
	if err != nil {
		return err
	}
	env, err := signature.ParseEnvelope(string(l.MediaType), blob)
	if err != nil {
		return fmt.Errorf("parsing notation envelope: %w", err)
	}
	content, err := env.Content()
	if err != nil {
		return fmt.Errorf("reading notation envelope: %w", err)
	}
	si := content.SignerInfo
	if len(si.CertificateChain) == 0 {
		return errors.New("the notation envelope has no certificate")
	}
	it.Signer = certSigner(si.CertificateChain[0])
	it.Timestamped = len(si.UnsignedAttributes.TimestampSignature) > 0
	switch {
	case !si.SignedAttributes.SigningTime.IsZero():
		it.Created = si.SignedAttributes.SigningTime.UTC()
		it.CreatedFrom = CreatedFromSigningTime
	case it.Timestamped:
		if t, err := tokenTime(si.UnsignedAttributes.TimestampSignature); err == nil {
			it.Created, it.CreatedFrom = t, CreatedFromTimestamp
		}
	}
	return nil
}
