package cosign

import (
	"context"
	"encoding/base64"
	"errors"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sigstore/cosign/v2/pkg/oci/static"
	"github.com/sigstore/cosign/v2/pkg/types"
)

func FuzzLoadPublicKey(f *testing.F) {
	f.Add(readFile(f, "testdata/containers-image.cosign.pub"))
	f.Add(readFile(f, "testdata/policy-controller-example.cosign.pub"))
	f.Add([]byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"))
	f.Fuzz(func(t *testing.T, pemBytes []byte) {
		v, err := LoadPublicKey(pemBytes)
		if err == nil && v == nil {
			t.Fatal("no verifier and no error")
		}
	})
}

func FuzzLoadPrivateKey(f *testing.F) {
	f.Add(readFile(f, "testdata/policy-controller-example.cosign.key"), "")
	f.Add(readFile(f, "testdata/policy-controller-example.cosign.key"), "wrong")
	f.Add([]byte("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\ne30=\n"+
		"-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n"), "")
	f.Fuzz(func(t *testing.T, keyPEM []byte, password string) {
		sv, err := LoadPrivateKey(keyPEM, []byte(password))
		if err == nil && sv == nil {
			t.Fatal("no signer and no error")
		}
	})
}

func FuzzParseStatement(f *testing.F) {
	f.Add([]byte(`{"_type":"https://in-toto.io/Statement/v1","predicateType":"x",` +
		`"subject":[{"name":"a","digest":{"sha256":"00"}}]}`))
	f.Add([]byte(`{"_type":1}`))
	f.Add([]byte(`{"subject":[null]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := parseStatement(b)
		if err != nil {
			return
		}
		if st.Type == "" || st.PredicateType == "" {
			t.Fatalf("parsed statement lacks _type or predicateType: %+v", st)
		}
		d, _ := name.NewDigest("example.com/app@sha256:" + zeros)
		_, _ = checkStatement(st, d, "")
	})
}

const zeros = "0000000000000000000000000000000000000000000000000000000000000000"

// FuzzVerifyAttestation feeds arbitrary .att layer bytes to VerifyAttestation:
// it must refuse them with a *CheckError and never panic, and whatever it
// accepts must be a statement about the digest.
func FuzzVerifyAttestation(f *testing.F) {
	sv, err := LoadPrivateKey(readFile(f, "testdata/policy-controller-example.cosign.key"), nil)
	if err != nil {
		f.Fatal(err)
	}
	d, err := name.NewDigest("example.com/app@sha256:" + zeros)
	if err != nil {
		f.Fatal(err)
	}
	st := []byte(`{"_type":"https://in-toto.io/Statement/v1","predicateType":"p",` +
		`"subject":[{"name":"example.com/app","digest":{"sha256":"` + zeros + `"}}],"predicate":{}}`)
	signed, err := signStatement(context.Background(), st, "p", sv)
	if err != nil {
		f.Fatal(err)
	}
	good, _ := signed.Payload()
	f.Add(good)
	f.Add(readFile(f, "testdata/cosign-vuln.valid.dsse.json"))
	f.Add(readFile(f, "testdata/cosign-custom.valid.dsse.json"))
	f.Add([]byte(`{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[]}`))
	h := v1.Hash{Algorithm: "sha256", Hex: zeros}
	f.Fuzz(func(t *testing.T, envelope []byte) {
		att, err := static.NewAttestation(envelope, static.WithLayerMediaType(types.DssePayloadType))
		if err != nil {
			t.Fatal(err)
		}
		stmt, err := VerifyAttestation(context.Background(), att, h, sv)
		if err != nil {
			if ce := (*CheckError)(nil); !errors.As(err, &ce) {
				t.Fatalf("refusal is not a *CheckError: %v", err)
			}
			return
		}
		parsed, err := parseStatement(stmt)
		if err != nil {
			t.Fatalf("accepted statement does not parse: %v", err)
		}
		if _, err := checkStatement(parsed, d, ""); err != nil {
			t.Fatalf("accepted statement is not about %s: %v", h, err)
		}
	})
}

// FuzzVerifySignature feeds arbitrary payloads and signatures to
// VerifySignature: refusals are *CheckErrors, and nothing unsigned passes.
func FuzzVerifySignature(f *testing.F) {
	pub, err := LoadPublicKey(readFile(f, "testdata/containers-image.cosign.pub"))
	if err != nil {
		f.Fatal(err)
	}
	dir := "testdata/dir-img-cosign-valid/"
	f.Add(readFile(f, dir+"payload.json"), string(readFile(f, dir+"signature.b64")))
	f.Add([]byte(`{}`), base64.StdEncoding.EncodeToString([]byte("sig")))
	f.Add([]byte(`null`), "%%%")
	h := v1.Hash{Algorithm: "sha256",
		Hex: "634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00"}
	f.Fuzz(func(t *testing.T, payload []byte, b64sig string) {
		sig, err := static.NewSignature(payload, b64sig)
		if err != nil {
			t.Fatal(err)
		}
		err = VerifySignature(context.Background(), sig, h, pub)
		if err == nil {
			return
		}
		if ce := (*CheckError)(nil); !errors.As(err, &ce) {
			t.Fatalf("refusal is not a *CheckError: %v", err)
		}
	})
}
