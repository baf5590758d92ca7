package main

import (
	"context"

	"github.com/notaryproject/notation-plugin-framework-go/plugin"
)

// Name is the plugin's name: notation runs it as notation-<Name>.
const Name = "vouchtest"

// vouchTest implements plugin.Plugin with raw signature generation only.
type vouchTest struct{}

func (vouchTest) GetMetadata(
	context.Context, *plugin.GetMetadataRequest,
) (*plugin.GetMetadataResponse, error) {
	return &plugin.GetMetadataResponse{
		Name:                      Name,
		Description:               "vouch test plugin signing with local key files",
		Version:                   "1.0.0",
		URL:                       "https://github.com/vouchsec/vouch",
		SupportedContractVersions: []string{plugin.ContractVersion},
		Capabilities: []plugin.Capability{
			plugin.CapabilitySignatureGenerator,
		},
	}, nil
}

func (vouchTest) DescribeKey(
	_ context.Context, req *plugin.DescribeKeyRequest,
) (*plugin.DescribeKeyResponse, error) {
	if req.ContractVersion != plugin.ContractVersion {
		return nil, plugin.NewUnsupportedContractVersionError(req.ContractVersion)
	}
	k, err := loadKey(req.KeyID, req.PluginConfig)
	if err != nil {
		return nil, err
	}
	return &plugin.DescribeKeyResponse{KeyID: req.KeyID, KeySpec: k.spec}, nil
}

func (vouchTest) GenerateSignature(
	_ context.Context, req *plugin.GenerateSignatureRequest,
) (*plugin.GenerateSignatureResponse, error) {
	if req.ContractVersion != plugin.ContractVersion {
		return nil, plugin.NewUnsupportedContractVersionError(req.ContractVersion)
	}
	k, err := loadKey(req.KeyID, req.PluginConfig)
	if err != nil {
		return nil, err
	}
	if req.KeySpec != k.spec {
		return nil, plugin.NewValidationErrorf("key spec %q requested, key %q is %q",
			req.KeySpec, req.KeyID, k.spec)
	}
	sig, alg, err := k.sign(req.Hash, req.Payload)
	if err != nil {
		return nil, err
	}
	chain := make([][]byte, len(k.chain))
	for i, c := range k.chain {
		chain[i] = c.Raw
	}
	return &plugin.GenerateSignatureResponse{
		KeyID:            req.KeyID,
		Signature:        sig,
		SigningAlgorithm: alg,
		CertificateChain: chain,
	}, nil
}

func (vouchTest) GenerateEnvelope(
	context.Context, *plugin.GenerateEnvelopeRequest,
) (*plugin.GenerateEnvelopeResponse, error) {
	return nil, plugin.NewUnsupportedError(string(plugin.CommandGenerateEnvelope))
}

func (vouchTest) VerifySignature(
	context.Context, *plugin.VerifySignatureRequest,
) (*plugin.VerifySignatureResponse, error) {
	return nil, plugin.NewUnsupportedError(string(plugin.CommandVerifySignature))
}
