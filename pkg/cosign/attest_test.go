package cosign

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/sigstore/cosign/v2/pkg/types"
)

func TestAttestWritesCosignAttestation(t *testing.T) {
	reg := newRegistry(t)
	d := reg.push(t, "app")
	k := newKey(t)
	ctx := testContext(t)
	sbom := statementFor(t, d, predicateSPDX, "testdata/policy-controller.example.spdx.json")
	vuln := statementFor(t, d, predicateVuln, "testdata/cosign-vuln.predicate.json")

	for _, st := range [][]byte{sbom, vuln} {
		if written, err := Attest(ctx, d, k.sv, st, "", nil); err != nil || !written {
			t.Fatalf("Attest = %v, %v; want true, nil", written, err)
		}
	}
	ev := fetch(t, d)
	if len(ev.Attestations) != 2 || len(ev.Signatures) != 0 {
		t.Fatalf("evidence has %d attestations, %d signatures; want 2, 0",
			len(ev.Attestations), len(ev.Signatures))
	}
	for i, want := range []struct {
		predicateType string
		statement     []byte
	}{{predicateSPDX, sbom}, {predicateVuln, vuln}} {
		att := ev.Attestations[i]
		if mt, _ := att.MediaType(); mt != types.DssePayloadType {
			t.Errorf("attestation %d media type = %q, want %q", i, mt, types.DssePayloadType)
		}
		ann, _ := att.Annotations()
		if ann[PredicateTypeAnnotation] != want.predicateType {
			t.Errorf("attestation %d predicateType annotation = %q, want %q",
				i, ann[PredicateTypeAnnotation], want.predicateType)
		}
		got, err := VerifyAttestation(ctx, att, hashOf(t, d), k.pub)
		if err != nil {
			t.Fatalf("VerifyAttestation(%d): %v", i, err)
		}
		if !bytes.Equal(got, want.statement) {
			t.Errorf("attestation %d statement = %s, want the statement attested", i, got)
		}
	}
	if ev.AttManifest == nil || ev.SigManifest != nil {
		t.Errorf("AttManifest = %v, SigManifest = %v; want set, nil", ev.AttManifest, ev.SigManifest)
	}
}

func TestAttestTwiceWritesOnce(t *testing.T) {
	reg := newRegistry(t)
	d := reg.push(t, "app")
	k := newKey(t)
	ctx := testContext(t)
	st := statementFor(t, d, predicateVuln, "testdata/cosign-vuln.predicate.json")

	if written, err := Attest(ctx, d, k.sv, st, predicateVuln, nil); err != nil || !written {
		t.Fatalf("first Attest = %v, %v; want true, nil", written, err)
	}
	reg.reset()
	written, err := Attest(ctx, d, k.sv, st, predicateVuln, nil)
	if err != nil {
		t.Fatal(err)
	}
	if written {
		t.Error("attesting the same statement with the same key again reported a write")
	}
	if n := reg.writes(); n != 0 {
		t.Errorf("second Attest made %d write requests, want 0", n)
	}
	if n := len(fetch(t, d).Attestations); n != 1 {
		t.Errorf("tag holds %d attestations, want 1", n)
	}

	// The same statement by another key, and another statement by the same
	// key, are new evidence.
	other := newKey(t)
	if written, err := Attest(ctx, d, other.sv, st, predicateVuln, nil); err != nil || !written {
		t.Errorf("Attest by another key = %v, %v; want true, nil", written, err)
	}
	sbom := statementFor(t, d, predicateSPDX, "testdata/policy-controller.example.spdx.json")
	if written, err := Attest(ctx, d, k.sv, sbom, predicateSPDX, nil); err != nil || !written {
		t.Errorf("Attest of another statement = %v, %v; want true, nil", written, err)
	}
	if n := len(fetch(t, d).Attestations); n != 3 {
		t.Errorf("tag holds %d attestations, want 3", n)
	}
}

func TestAttestRefusesMismatchedStatement(t *testing.T) {
	reg := newRegistry(t)
	d := reg.push(t, "app")
	other := reg.push(t, "app")
	k := newKey(t)
	st := statementFor(t, d, predicateVuln, "testdata/cosign-vuln.predicate.json")
	tests := []struct {
		name          string
		statement     []byte
		predicateType string
		wantMsg       string
	}{
		{"subject is another image", statementFor(t, other, predicateVuln,
			"testdata/cosign-vuln.predicate.json"), "", "no subject with digest " + d.DigestStr()},
		{"predicate type differs", st, predicateSPDX, `predicateType "` + predicateVuln},
		{"not JSON", []byte("{"), "", "decoding in-toto statement"},
		{"no _type", []byte(`{"predicateType":"x","subject":[]}`), "", "no _type"},
		{"no predicateType", withoutField(t, st, "predicateType"), "", "no predicateType"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg.reset()
			written, err := Attest(testContext(t), d, k.sv, tt.statement, tt.predicateType, nil)
			if err == nil || written {
				t.Fatalf("Attest = %v, %v; want an error", written, err)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not mention %q", err, tt.wantMsg)
			}
			if n := reg.writes(); n != 0 {
				t.Errorf("refused Attest made %d write requests", n)
			}
		})
	}
}

func withoutField(t *testing.T, statement []byte, field string) []byte {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(statement, &m); err != nil {
		t.Fatal(err)
	}
	delete(m, field)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
