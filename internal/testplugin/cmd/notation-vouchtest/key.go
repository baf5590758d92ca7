package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"

	"github.com/notaryproject/notation-core-go/signature"
	"github.com/notaryproject/notation-go/plugin/proto"
	"github.com/notaryproject/notation-plugin-framework-go/plugin"
)

// Plugin config keys naming the key and certificate chain files.
const (
	configKey  = "key"
	configCert = "cert"
)

// key is a signing key with its certificate chain, leaf first.
type key struct {
	signer  crypto.Signer
	chain   []*x509.Certificate
	keySpec signature.KeySpec
	spec    plugin.KeySpec
}

// loadKey reads the files that config, or else keyID, names.
func loadKey(keyID string, config map[string]string) (*key, error) {
	keyPath, certPath := config[configKey], config[configCert]
	if keyPath == "" && certPath == "" {
		keyPath, certPath = keyID+".key", keyID+".crt"
	}
	if keyPath == "" || certPath == "" {
		return nil, plugin.NewValidationErrorf(
			"plugin config needs both %q and %q, or neither", configKey, configCert)
	}
	signer, err := readKey(keyPath)
	if err != nil {
		return nil, err
	}
	chain, err := readChain(certPath)
	if err != nil {
		return nil, err
	}
	keySpec, err := signature.ExtractKeySpec(chain[0])
	if err != nil {
		return nil, plugin.NewValidationErrorf("%s: %v", certPath, err)
	}
	spec, err := proto.EncodeKeySpec(keySpec)
	if err != nil {
		return nil, plugin.NewValidationErrorf("%s: %v", certPath, err)
	}
	pub, ok := signer.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(chain[0].PublicKey) {
		return nil, plugin.NewValidationErrorf(
			"key %s does not match the certificate in %s", keyPath, certPath)
	}
	return &key{signer: signer, chain: chain, keySpec: keySpec, spec: spec}, nil
}

// readKey reads a PKCS#8 PEM private key.
func readKey(path string) (crypto.Signer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, plugin.NewValidationErrorf("reading key: %v", err)
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, plugin.NewValidationErrorf("%s: no PKCS#8 PRIVATE KEY block", path)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, plugin.NewValidationErrorf("%s: %v", path, err)
	}
	signer, ok := parsed.(crypto.Signer)
	if !ok {
		return nil, plugin.NewValidationErrorf("%s: key of type %T cannot sign", path, parsed)
	}
	return signer, nil
}

// readChain reads PEM certificates, leaf first.
func readChain(path string) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, plugin.NewValidationErrorf("reading certificate chain: %v", err)
	}
	var chain []*x509.Certificate
	for block, rest := pem.Decode(data); block != nil; block, rest = pem.Decode(rest) {
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, plugin.NewValidationErrorf("%s: %v", path, err)
		}
		chain = append(chain, cert)
	}
	if len(chain) == 0 {
		return nil, plugin.NewValidationErrorf("%s: no certificates", path)
	}
	return chain, nil
}

// sign hashes payload and signs the digest the way the key spec requires:
// ECDSA as r||s, RSA as RSASSA-PSS with a salt as long as the hash.
func (k *key) sign(
	hash plugin.HashAlgorithm, payload []byte,
) ([]byte, plugin.SignatureAlgorithm, error) {
	want, err := proto.HashAlgorithmFromKeySpec(k.keySpec)
	if err != nil {
		return nil, "", plugin.NewGenericError(err.Error())
	}
	if hash != want {
		return nil, "", plugin.NewValidationErrorf("hash %q requested, key spec %q uses %q",
			hash, k.spec, want)
	}
	sigAlg := k.keySpec.SignatureAlgorithm()
	alg, err := proto.EncodeSigningAlgorithm(sigAlg)
	if err != nil {
		return nil, "", plugin.NewGenericError(err.Error())
	}
	h := sigAlg.Hash().New()
	h.Write(payload)
	digest := h.Sum(nil)

	var sig []byte
	switch priv := k.signer.(type) {
	case *ecdsa.PrivateKey:
		sig, err = signECDSA(priv, digest)
	case *rsa.PrivateKey:
		sig, err = rsa.SignPSS(rand.Reader, priv, sigAlg.Hash(), digest,
			&rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
	default:
		err = fmt.Errorf("unsupported key type %T", priv)
	}
	if err != nil {
		return nil, "", plugin.NewGenericErrorf("signing: %v", err)
	}
	return sig, alg, nil
}

// signECDSA returns r and s, each padded to the curve's byte size.
func signECDSA(priv *ecdsa.PrivateKey, digest []byte) ([]byte, error) {
	r, s, err := ecdsa.Sign(rand.Reader, priv, digest)
	if err != nil {
		return nil, err
	}
	size := (priv.Curve.Params().BitSize + 7) / 8
	sig := make([]byte, 2*size)
	r.FillBytes(sig[:size])
	s.FillBytes(sig[size:])
	return sig, nil
}
