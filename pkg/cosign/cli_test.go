package cosign

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	ssldsse "github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/vouchsec/vouch/internal/cosigncli"
)

// These tests hold vouch and the cosign CLI (built from go.mod's version) to
// each other: each must accept what the other writes.

func TestCosignCLIVerifiesVouchSignature(t *testing.T) {
	reg := newRegistry(t)
	d := reg.push(t, "team/app")
	k, other := newKey(t), newKey(t)
	if _, err := Sign(testContext(t), d, k.sv, nil); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, err := cosigncli.Run(t, nil, "verify", "--key", k.pubPath, d.String())
	if err != nil {
		t.Fatalf("cosign verify refused vouch's signature: %v\n%s", err, stderr)
	}
	var out []struct {
		Critical struct {
			Image struct {
				Digest string `json:"docker-manifest-digest"`
			} `json:"image"`
		} `json:"critical"`
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("cosign verify output is not JSON: %v\n%s", err, stdout)
	}
	if len(out) != 1 || out[0].Critical.Image.Digest != d.DigestStr() {
		t.Errorf("cosign verify reported %+v, want one signature for %s", out, d.DigestStr())
	}
	if _, _, err := cosigncli.Run(t, nil, "verify", "--key", other.pubPath, d.String()); err == nil {
		t.Error("cosign verify accepted vouch's signature with another key")
	}
}

func TestCosignCLIVerifiesVouchAttestations(t *testing.T) {
	reg := newRegistry(t)
	d := reg.push(t, "team/app")
	k := newKey(t)
	ctx := testContext(t)
	for _, a := range []struct{ predicateType, file string }{
		{predicateSPDX, "testdata/policy-controller.example.spdx.json"},
		{predicateVuln, "testdata/cosign-vuln.predicate.json"},
	} {
		st := statementFor(t, d, a.predicateType, a.file)
		if _, err := Attest(ctx, d, k.sv, st, a.predicateType, nil); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		cosignType    string
		predicateType string // empty: cosign must refuse
	}{
		{"spdxjson", predicateSPDX},
		{"vuln", predicateVuln},
		{"cyclonedx", ""},
	}
	for _, tt := range tests {
		t.Run(tt.cosignType, func(t *testing.T) {
			stdout, stderr, err := cosigncli.Run(t, nil, "verify-attestation",
				"--key", k.pubPath, "--type", tt.cosignType, d.String())
			if tt.predicateType == "" {
				if err == nil {
					t.Fatalf("cosign verify-attestation --type %s accepted an attestation "+
						"vouch never made", tt.cosignType)
				}
				return
			}
			if err != nil {
				t.Fatalf("cosign verify-attestation --type %s refused vouch's attestation: %v\n%s",
					tt.cosignType, err, stderr)
			}
			// cosign prints each envelope it verified, one per line.
			var env ssldsse.Envelope
			line, _, _ := strings.Cut(stdout, "\n")
			if err := json.Unmarshal([]byte(line), &env); err != nil {
				t.Fatalf("cosign output is not a DSSE envelope: %v\n%s", err, stdout)
			}
			stmt, err := env.DecodeB64Payload()
			if err != nil {
				t.Fatal(err)
			}
			assertStatement(t, stmt, tt.predicateType, d)
		})
	}
}

func TestVouchVerifiesCosignCLIOutput(t *testing.T) {
	reg := newRegistry(t)
	d := reg.push(t, "team/app")
	ctx := testContext(t)
	const password = "cli password"
	env := []string{"COSIGN_PASSWORD=" + password}
	prefix := filepath.Join(t.TempDir(), "cli")
	runCosign(t, env, "generate-key-pair", "--output-key-prefix", prefix)
	runCosign(t, env, "sign", "--key", prefix+".key", d.String())
	runCosign(t, env, "attest", "--key", prefix+".key", "--type", "spdxjson",
		"--predicate", "testdata/policy-controller.example.spdx.json", d.String())
	runCosign(t, env, "attest", "--key", prefix+".key", "--type", "vuln",
		"--predicate", "testdata/cosign-vuln.predicate.json", d.String())

	sv, err := LoadPrivateKey(readFile(t, prefix+".key"), []byte(password))
	if err != nil {
		t.Fatalf("loading the key cosign generated: %v", err)
	}
	pub, err := LoadPublicKey(readFile(t, prefix+".pub"))
	if err != nil {
		t.Fatalf("loading the public key cosign generated: %v", err)
	}
	ev := fetch(t, d)
	if len(ev.Signatures) != 1 || len(ev.Attestations) != 2 {
		t.Fatalf("cosign wrote %d signatures, %d attestations; want 1, 2",
			len(ev.Signatures), len(ev.Attestations))
	}
	h := hashOf(t, d)
	if err := VerifySignature(ctx, ev.Signatures[0], h, pub); err != nil {
		t.Errorf("vouch refused cosign's signature: %v", err)
	}
	for i, want := range []string{predicateSPDX, predicateVuln} {
		stmt, err := VerifyAttestation(ctx, ev.Attestations[i], h, pub)
		if err != nil {
			t.Errorf("vouch refused cosign's attestation %d: %v", i, err)
			continue
		}
		assertStatement(t, stmt, want, d)
	}

	// cosign's signature and vouch's are the same evidence: signing again
	// with the same key adds nothing.
	if written, err := Sign(ctx, d, sv, nil); err != nil || written {
		t.Errorf("vouch Sign after cosign sign with the same key = %v, %v; want false, nil",
			written, err)
	}
}

// runCosign runs the cosign CLI and fails the test if it fails.
func runCosign(t *testing.T, env []string, args ...string) {
	t.Helper()
	if _, stderr, err := cosigncli.Run(t, env, args...); err != nil {
		t.Fatalf("cosign %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
}

func assertStatement(t *testing.T, stmt []byte, predicateType string, d name.Digest) {
	t.Helper()
	st, err := parseStatement(stmt)
	if err != nil {
		t.Fatal(err)
	}
	if st.PredicateType != predicateType {
		t.Errorf("predicateType = %q, want %q", st.PredicateType, predicateType)
	}
	h := hashOf(t, d)
	if len(st.Subject) != 1 || st.Subject[0].Digest[h.Algorithm] != h.Hex ||
		st.Subject[0].Name != d.Context().Name() {
		t.Errorf("subject = %+v, want %s with digest %s", st.Subject, d.Context().Name(), h)
	}
}
