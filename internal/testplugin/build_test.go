package testplugin

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/notaryproject/notation-core-go/signature"
	"github.com/notaryproject/notation-core-go/signature/cose"
	"github.com/notaryproject/notation-core-go/signature/jws"
	"github.com/notaryproject/notation-go"
	"github.com/notaryproject/notation-go/dir"
	nplugin "github.com/notaryproject/notation-go/plugin"
	"github.com/notaryproject/notation-go/plugin/proto"
	"github.com/notaryproject/notation-go/signer"
	"github.com/notaryproject/notation-plugin-framework-go/plugin"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/vouchsec/vouch/internal/testpki"
)

// load builds the plugin and loads it the way notation does.
func load(t *testing.T) plugin.SignPlugin {
	t.Helper()
	mgr := nplugin.NewCLIManager(dir.NewSysFS(Build(t)))
	names, err := mgr.List(context.Background())
	if err != nil || len(names) != 1 || names[0] != Name {
		t.Fatalf("List = %v, %v; want [%s]", names, err, Name)
	}
	p, err := mgr.Get(context.Background(), Name)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	return p
}

func TestMetadataAndDescribeKey(t *testing.T) {
	p := load(t)
	ctx := context.Background()
	md, err := p.GetMetadata(ctx, &plugin.GetMetadataRequest{})
	if err != nil {
		t.Fatalf("GetMetadata: %v", err)
	}
	if md.Name != Name || !md.HasCapability(plugin.CapabilitySignatureGenerator) {
		t.Errorf("metadata = %+v", md)
	}

	pki := testpki.New(t, testpki.Options{})
	files := pki.WriteFiles(t.TempDir())
	resp, err := p.DescribeKey(ctx, &plugin.DescribeKeyRequest{
		ContractVersion: plugin.ContractVersion,
		KeyID:           "k1",
		PluginConfig:    map[string]string{"key": files.Key, "cert": files.Chain},
	})
	if err != nil {
		t.Fatalf("DescribeKey: %v", err)
	}
	if resp.KeyID != "k1" || resp.KeySpec != plugin.KeySpecEC256 {
		t.Errorf("DescribeKey = %+v, want k1 with %s", resp, plugin.KeySpecEC256)
	}
}

func TestSignVerifies(t *testing.T) {
	p := load(t)
	pki := testpki.New(t, testpki.Options{})
	dir := t.TempDir()
	files := pki.WriteFiles(dir)
	prefix := filepath.Join(dir, "byid")
	for src, dst := range map[string]string{files.Key: prefix + ".key", files.Chain: prefix + ".crt"} {
		if err := os.Rename(src, dst); err != nil {
			t.Fatal(err)
		}
	}
	desc := ocispec.Descriptor{
		MediaType: ocispec.MediaTypeImageManifest,
		Digest:    digest.FromString("vouch test manifest"),
		Size:      19,
	}
	byConfig := map[string]string{"key": prefix + ".key", "cert": prefix + ".crt"}
	tests := []struct {
		name      string
		mediaType string
		keyID     string
		config    map[string]string
	}{
		{"jws by config", jws.MediaTypeEnvelope, "k1", byConfig},
		{"cose by config", cose.MediaTypeEnvelope, "k1", byConfig},
		{"jws by key id", jws.MediaTypeEnvelope, prefix, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := signer.NewPluginSigner(p, tt.keyID, tt.config)
			if err != nil {
				t.Fatal(err)
			}
			sig, _, err := s.Sign(context.Background(), desc,
				notation.SignerSignOptions{SignatureMediaType: tt.mediaType})
			if err != nil {
				t.Fatalf("Sign: %v", err)
			}
			env, err := signature.ParseEnvelope(tt.mediaType, sig)
			if err != nil {
				t.Fatal(err)
			}
			content, err := env.Verify()
			if err != nil {
				t.Fatalf("envelope does not verify: %v", err)
			}
			info := content.SignerInfo
			if !info.CertificateChain[0].Equal(pki.Leaf) {
				t.Errorf("signed by %s, want the test leaf", info.CertificateChain[0].Subject)
			}
			if _, err := signature.VerifyAuthenticity(&info, pki.Chain()[2:]); err != nil {
				t.Errorf("chain not anchored in the test root: %v", err)
			}
			if !strings.Contains(info.UnsignedAttributes.SigningAgent, Name) {
				t.Errorf("signing agent %q does not name the plugin", info.UnsignedAttributes.SigningAgent)
			}
			if !strings.Contains(string(content.Payload.Content), desc.Digest.String()) {
				t.Errorf("payload %s does not name %s", content.Payload.Content, desc.Digest)
			}
		})
	}
}

func TestRefusals(t *testing.T) {
	p := load(t)
	ctx := context.Background()
	a := testpki.New(t, testpki.Options{}).WriteFiles(t.TempDir())
	b := testpki.New(t, testpki.Options{}).WriteFiles(t.TempDir())
	tests := []struct {
		name   string
		config map[string]string
	}{
		{"key of another certificate", map[string]string{"key": a.Key, "cert": b.Chain}},
		{"missing key file", map[string]string{"key": a.Key + ".gone", "cert": a.Chain}},
		{"cert without key", map[string]string{"cert": a.Chain}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := p.DescribeKey(ctx, &plugin.DescribeKeyRequest{
				ContractVersion: plugin.ContractVersion,
				KeyID:           "k1",
				PluginConfig:    tt.config,
			})
			var reqErr proto.RequestError
			if !errors.As(err, &reqErr) || reqErr.Code != plugin.ErrorCodeValidation {
				t.Fatalf("DescribeKey error = %v, want a plugin validation error", err)
			}
		})
	}

	_, err := p.GenerateSignature(ctx, &plugin.GenerateSignatureRequest{
		ContractVersion: plugin.ContractVersion,
		KeyID:           "k1",
		KeySpec:         plugin.KeySpecEC256,
		Hash:            plugin.HashAlgorithmSHA512,
		Payload:         []byte("payload"),
		PluginConfig:    map[string]string{"key": a.Key, "cert": a.Chain},
	})
	if err == nil {
		t.Error("GenerateSignature accepted SHA-512 for an EC-256 key")
	}
}
