// Package corpus finds the shared corpus of real signatures, bundles,
// SBOMs and scan reports (shared/corpus beside the repository) and reads
// its cases.json, for tests across vouch.
package corpus

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// Case is one entry of cases.json. Fields that a case type does not use
// are empty.
type Case struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Expected string `json:"expected"`
	Reason   string `json:"reason"`

	// Notation cases.
	Layout            string `json:"layout"`
	ArtifactDigest    string `json:"artifact_digest"`
	ArtifactReference string `json:"artifact_reference_used"`
	TrustPolicy       string `json:"trust_policy"`
	NotationConfigDir string `json:"notation_config_dir"`
	Envelope          string `json:"envelope"`
	EnvelopeMediaType string `json:"envelope_media_type"`
	OfflineCaveat     string `json:"offline_caveat"`
	TargetDescriptor  Target `json:"target_descriptor"`

	// Sigstore bundle cases. ArtifactDigest stands in for Artifact when
	// the artifact was not copied; npm packages give PackageSHA512.
	Bundle         string      `json:"bundle"`
	TrustedRoot    string      `json:"trusted_root"`
	Artifact       string      `json:"artifact"`
	ArtifactSHA256 string      `json:"artifact_sha256"`
	PackageSHA512  string      `json:"package_tgz_sha512"`
	Identity       Identity    `json:"identity"`
	PublicKey      string      `json:"public_key"`
	CheckedWith    string      `json:"checked_offline_with"`
	BundleFacts    BundleFacts `json:"bundle_facts"`

	// Cosign classic (simple signing) cases: the signed payload, its
	// base64 signature, and for keyless ones the Fulcio certificate, its
	// chain (optional) and the Rekor bundle cosign stores in annotations.
	// PublicKey serves key-pair ones.
	Payload       string `json:"payload"`
	Signature     string `json:"signature"`
	ImageManifest string `json:"image_manifest"`
	Certificate   string `json:"certificate"`
	Chain         string `json:"chain"`
	RekorBundle   string `json:"rekor_bundle"`

	// Cosign attestations saved as an OCI layout, with Identity and
	// TrustedRoot.
	SubjectDigest string `json:"subject_digest"`
	PredicateType string `json:"predicate_type"`
}

// Identity is a certificate identity as cases.json writes it.
type Identity struct {
	SAN    string `json:"san"`
	Issuer string `json:"issuer"`
}

// BundleFacts are what cases.json records of a Sigstore bundle's content.
type BundleFacts struct {
	MediaType   string `json:"mediaType"`
	Certificate struct {
		SAN        []string `json:"san"`
		OIDCIssuer string   `json:"oidc_issuer"`
	} `json:"certificate"`
	DSSE struct {
		PredicateType string `json:"predicateType"`
		Subject       []struct {
			Name   string            `json:"name"`
			Digest map[string]string `json:"digest"`
		} `json:"subject"`
	} `json:"dsse"`
}

// Target is an artifact descriptor as cases.json writes it.
type Target struct {
	Digest    string `json:"digest"`
	MediaType string `json:"mediaType"`
	Size      int64  `json:"size"`
}

// Dir returns the corpus directory: $VOUCH_CORPUS, or shared/corpus beside
// the repository holding the working directory. It skips the test when
// there is none.
func Dir(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("VOUCH_CORPUS"); d != "" {
		return d
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			c := filepath.Join(filepath.Dir(d), "shared", "corpus")
			if _, err := os.Stat(filepath.Join(c, "cases.json")); err != nil {
				t.Skipf("no corpus at %s (set VOUCH_CORPUS): %v", c, err)
			}
			return c
		}
		if filepath.Dir(d) == d {
			t.Skipf("no go.mod above %s, so no corpus beside it", wd)
		}
	}
}

// Cases returns the corpus's cases of the given type, failing the test
// when there are none.
func Cases(t testing.TB, typ string) []Case {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(Dir(t), "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Cases []Case `json:"cases"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("cases.json: %v", err)
	}
	var out []Case
	for _, c := range doc.Cases {
		if c.Type == typ {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		t.Fatalf("cases.json has no %s cases", typ)
	}
	return out
}

// Path returns a corpus path as an absolute file name.
func Path(t testing.TB, rel string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join(Dir(t), filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return p
}
