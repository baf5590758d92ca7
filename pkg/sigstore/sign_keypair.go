package sigstore

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/sigstore/sigstore-go/pkg/sign"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/options"
)

// errSigning marks a failure of the key itself, as opposed to the
// timestamp authority, among the errors sigstore-go's sign.Bundle returns.
var errSigning = errors.New("signing")

// key is a signer with what sigstore-go's sign.Keypair asks of it: the
// key type's default algorithm, the one LoadPublicKey verifies with, and
// as the hint the base64 SHA-256 of the PKIX public key, as sigstore-go
// and cosign write it.
type key struct {
	sv     signature.SignerVerifier
	pub    crypto.PublicKey
	hashFn crypto.Hash
	hint   []byte
}

// keypair presents a key as a sign.Keypair, which sigstore-go otherwise
// only offers as a freshly generated ephemeral key. H and P are the
// protobuf-specs enums that two of its methods return (hash algorithm,
// public key details); they are type parameters, inferred from
// signature.AlgorithmDetails, only so that this package need not import
// protobuf-specs, which go.mod requires indirectly.
type keypair[H, P any] struct {
	key
	hash   H
	sigAlg P
}

func newKeypair(sv signature.SignerVerifier) (sign.Keypair, error) {
	pub, err := sv.PublicKey()
	if err != nil {
		return nil, fmt.Errorf("reading public key: %w", err)
	}
	switch pub.(type) {
	case *ecdsa.PublicKey, *rsa.PublicKey:
	default:
		// An Ed25519 cosign key signs Ed25519ph, while a verifier of the
		// bundle (LoadPublicKey, sigstore-go) checks plain Ed25519: the
		// bundle would not verify, so it is not made.
		return nil, fmt.Errorf("%w: key type %T: only ECDSA and RSA keys sign Sigstore bundles "+
			"(an Ed25519 cosign key signs Ed25519ph, which bundle verifiers do not check)",
			ErrInput, pub)
	}
	alg, err := signature.GetDefaultAlgorithmDetails(pub)
	if err != nil {
		return nil, fmt.Errorf("choosing signature algorithm: %w", err)
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("encoding public key: %w", err)
	}
	sum := sha256.Sum256(der)
	k := key{sv: sv, pub: pub, hashFn: alg.GetHashType(),
		hint: []byte(base64.StdEncoding.EncodeToString(sum[:]))}
	return withAlgorithm(k, alg.GetProtoHashType(), alg.GetSignatureAlgorithm()), nil
}

// withAlgorithm makes k a keypair, inferring H and P.
func withAlgorithm[H, P any](k key, hash H, sigAlg P) *keypair[H, P] {
	return &keypair[H, P]{key: k, hash: hash, sigAlg: sigAlg}
}

func (k *keypair[H, P]) GetHashAlgorithm() H { return k.hash }

func (k *keypair[H, P]) GetSigningAlgorithm() P { return k.sigAlg }

func (k *key) GetHint() []byte { return k.hint }

// GetKeyAlgorithm names the key type as Fulcio requests do.
func (k *key) GetKeyAlgorithm() string {
	if _, ok := k.pub.(*rsa.PublicKey); ok {
		return "RSA"
	}
	return "ECDSA"
}

func (k *key) GetPublicKey() crypto.PublicKey { return k.pub }

func (k *key) GetPublicKeyPem() (string, error) {
	b, err := cryptoutils.MarshalPublicKeyToPEM(k.pub)
	if err != nil {
		return "", fmt.Errorf("%w: encoding public key: %w", errSigning, err)
	}
	return string(b), nil
}

// SignData signs data's digest and returns the signature and the digest.
func (k *key) SignData(ctx context.Context, data []byte) ([]byte, []byte, error) {
	h := k.hashFn.New()
	h.Write(data)
	digest := h.Sum(nil)
	sig, err := k.sv.SignMessage(bytes.NewReader(data),
		options.WithContext(ctx), options.WithDigest(digest),
		options.WithCryptoSignerOpts(k.hashFn))
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", errSigning, err)
	}
	return sig, digest, nil
}
