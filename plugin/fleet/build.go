package fleet

import (
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/bundle"
)

// BuildOptions say how to write a bundle.
type BuildOptions struct {
	// Revision is the manifest's revision (the decision events name it).
	Revision string
	// SigningKey, when set, signs the bundle: a PEM private key file, or
	// the secret of an HS* algorithm (OPA's opa build --signing-key).
	SigningKey string
	// SigningAlg is the JWT algorithm (default RS256).
	SigningAlg string
	// KeyID is the keyid claim: the name of the key in the guards'
	// configuration (keys.<id>) that verifies the signature.
	KeyID string
}

// Build writes a bundle (.tar.gz) holding modules (bundle path → Rego) and
// data, signed when o says, with OPA's own bundle writer and signer: what
// opa build writes, and what OPA's bundle plugin reads and verifies.
func Build(w io.Writer, modules map[string]string, data map[string]any, o BuildOptions) error {
	b := bundle.Bundle{
		Manifest: bundle.Manifest{Revision: o.Revision},
		Data:     data,
	}
	for _, p := range slices.Sorted(maps.Keys(modules)) {
		m, err := ast.ParseModuleWithOpts(p, modules[p], ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			return fmt.Errorf("bundle module: %w", err)
		}
		b.Modules = append(b.Modules, bundle.ModuleFile{URL: p, Path: p, Raw: []byte(modules[p]), Parsed: m})
	}
	if o.SigningKey != "" {
		if err := b.GenerateSignature(bundle.NewSigningConfig(o.SigningKey, o.SigningAlg, ""), o.KeyID, true); err != nil {
			return fmt.Errorf("sign bundle: %w", err)
		}
	}
	if err := bundle.NewWriter(w).UseModulePath(true).DisableFormat(true).Write(b); err != nil {
		return fmt.Errorf("write bundle: %w", err)
	}
	return nil
}
