package sigstore

import (
	"errors"
	"strings"
	"testing"

	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
)

func TestVerifyBlobParseDigest(t *testing.T) {
	sha256 := strings.Repeat("ab", 32)
	tests := []struct {
		in      string
		wantAlg string
		wantErr bool
	}{
		{"sha256:" + sha256, "sha256", false},
		{"sha512:" + strings.Repeat("cd", 64), "sha512", false},
		{"sha384:" + strings.Repeat("ef", 48), "sha384", false},
		{sha256, "", true},
		{"md5:" + strings.Repeat("ab", 16), "", true},
		{"sha256:" + sha256[:62], "", true},
		{"sha256:" + strings.Repeat("zz", 32), "", true},
		{"sha512:" + sha256, "", true},
	}
	for _, tt := range tests {
		d, err := ParseDigest(tt.in)
		if tt.wantErr {
			if !errors.Is(err, ErrInput) {
				t.Errorf("ParseDigest(%q): err %v, want ErrInput", tt.in, err)
			}
			continue
		}
		if err != nil || d.Algorithm != tt.wantAlg {
			t.Errorf("ParseDigest(%q) = %v, %v; want %s", tt.in, d.Algorithm, err, tt.wantAlg)
		}
	}
}

func TestVerifyBlobIdentityIsAnchored(t *testing.T) {
	const issuer = "https://token.actions.githubusercontent.com"
	const app = "https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1"
	byRegexp := func(re string) Identity { return Identity{Issuer: issuer, SubjectRegexp: re} }
	tests := []struct {
		name  string
		id    Identity
		san   string
		match bool
	}{
		{"exact", Identity{Issuer: issuer, Subject: app}, app, true},
		{"exact, longer subject", Identity{Issuer: issuer, Subject: app}, app + "-evil", false},
		{"regexp, whole", byRegexp(`https://github\.com/acme/app/.*`), app, true},
		{"regexp, prefix only", byRegexp(`https://github\.com/acme/app`), app, false},
		{"regexp, other repo", byRegexp(`https://github\.com/acme/app/.*`),
			"https://github.com/acme/app-evil/.github/workflows/release.yml@refs/tags/v1", false},
		{"regexp alternation stays anchored", byRegexp(`x|https://github\.com/acme/app`), app, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ci, err := tt.id.certificateIdentity()
			if err != nil {
				t.Fatal(err)
			}
			cert := certificate.Summary{SubjectAlternativeName: tt.san,
				Extensions: certificate.Extensions{Issuer: issuer}}
			if got := ci.Verify(cert) == nil; got != tt.match {
				t.Errorf("match %s = %v, want %v", tt.san, got, tt.match)
			}
		})
	}
	wrongIssuer := certificate.Summary{SubjectAlternativeName: app,
		Extensions: certificate.Extensions{Issuer: issuer + "/evil"}}
	ci, err := Identity{Issuer: issuer, Subject: app}.certificateIdentity()
	if err != nil {
		t.Fatal(err)
	}
	if ci.Verify(wrongIssuer) == nil {
		t.Error("an issuer that only starts with the wanted one matched")
	}
}

func TestVerifyBlobIdentityRefused(t *testing.T) {
	for _, id := range []Identity{
		{Subject: "a"},
		{Issuer: "i"},
		{Issuer: "i", Subject: "a", SubjectRegexp: "a"},
		{Issuer: "i", SubjectRegexp: "("},
	} {
		if _, err := id.certificateIdentity(); !errors.Is(err, ErrInput) {
			t.Errorf("%+v: err %v, want ErrInput", id, err)
		}
	}
}

func TestVerifyBlobCheckNames(t *testing.T) {
	tests := map[string]Check{
		"failed to verify log inclusion: integrated time outside validity": CheckTlog,
		"failed to verify timestamps: threshold not met":                   CheckTimestamp,
		"failed to verify leaf certificate: x509: unknown authority":       CheckCertificate,
		"failed to verify signed certificate timestamp: no SCT":            CheckSCT,
		"failed to verify signature: could not verify message":             CheckSignature,
		"failed to verify certificate identity: no match":                  CheckIdentity,
		"something new": CheckBundle,
	}
	for msg, want := range tests {
		if got := checkOf(errors.New(msg)); got != want {
			t.Errorf("checkOf(%q) = %s, want %s", msg, got, want)
		}
	}
}

func FuzzParseDigest(f *testing.F) {
	f.Add("sha256:" + strings.Repeat("ab", 32))
	f.Add("sha512:")
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDigest(s)
		if err == nil && len(d.Value) != digestSizes[d.Algorithm].Size() {
			t.Errorf("%q: %d bytes for %s", s, len(d.Value), d.Algorithm)
		}
	})
}
