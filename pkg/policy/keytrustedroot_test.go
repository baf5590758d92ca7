package policy

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestKeySignerTrustedRoot(t *testing.T) {
	src := `version: v1
signers:
  release:
    cosign: {key: keys/containers-image.cosign.pub, trustedRoot: trusted_root.json}
  plain:
    cosign: {key: keys/containers-image.cosign.pub}
policies:
- name: p
  scope: ['**']
  signatures: {anyOf: [release, plain]}
`
	p, err := Parse(filepath.Join("testdata", "policy.yaml"), []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	c := p.Signers["release"].Cosign
	if want := filepath.Join("testdata", "trusted_root.json"); c.TrustedRootPath !=
		"trusted_root.json" || c.TrustedRootFile != want || c.TrustedRoot == nil ||
		len(c.TrustedRoot.RekorLogs()) != 1 || c.PublicKey == nil {
		t.Errorf("release: %+v, want the key and %s with one Rekor log", c, want)
	}
	if c := p.Signers["plain"].Cosign; c.TrustedRoot != nil || c.TrustedRootFile != "" {
		t.Errorf("plain: trusted root %q (%v), want none", c.TrustedRootFile, c.TrustedRoot)
	}
}

func TestKeySignerTrustedRootRefusals(t *testing.T) {
	const key = "key: keys/containers-image.cosign.pub"
	tests := []struct{ name, signer, want string }{
		{"missing file", `{` + key + `, trustedRoot: nope.json}`,
			`signer "s" cosign trustedRoot nope.json: loading trusted root`},
		{"not a root", `{` + key + `, trustedRoot: keys/containers-image.cosign.pub}`,
			"loading trusted root"},
		{"keyless", `{trustedRoot: trusted_root.json, keyless: {issuer: i, subject: s, ` +
			`trustedRoot: trusted_root.json}}`,
			"cosign trustedRoot is for a key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := "version: v1\nsigners:\n  s: {cosign: " + tc.signer + "}\n" +
				"policies:\n- {name: p, scope: ['**'], signatures: {anyOf: [s]}}\n"
			_, err := Parse(filepath.Join("testdata", "policy.yaml"), []byte(src))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse: %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
