package verify

import (
	"encoding/base64"
	"encoding/json"
	"slices"

	"github.com/google/go-containerregistry/pkg/name"
)

// repositoryNamer is evidence that names the repository it was made for:
// a cosign signature's docker-reference, an in-toto statement's subject
// names. The names are read before anything is verified.
type repositoryNamer interface {
	RepositoryNames() []string
}

// namedRepositories returns the repositories the evidence names, other
// than repo, each once, in the order first named. Names that do not parse
// as repositories are skipped.
func namedRepositories(checked []*checkedEvidence, repo name.Repository) []name.Repository {
	var out []name.Repository
	seen := map[string]bool{repo.Name(): true}
	for _, ce := range checked {
		n, ok := ce.ev.(repositoryNamer)
		if !ok {
			continue
		}
		for _, s := range n.RepositoryNames() {
			r, err := name.NewRepository(s)
			if err != nil || seen[r.Name()] {
				continue
			}
			seen[r.Name()] = true
			out = append(out, r)
		}
	}
	return out
}

// RepositoryNames implements repositoryNamer: a simple signing payload's
// docker-reference, or the subject names of an attestation's statement.
func (e *cosignEvidence) RepositoryNames() []string {
	raw, err := e.sig.Payload()
	if err != nil {
		return nil
	}
	if e.kind == KindAttestation {
		return subjectNames(envelopePayload(raw))
	}
	var p struct {
		Critical struct {
			Identity struct {
				DockerReference string `json:"docker-reference"`
			} `json:"identity"`
		} `json:"critical"`
	}
	if json.Unmarshal(raw, &p) != nil || p.Critical.Identity.DockerReference == "" {
		return nil
	}
	return []string{p.Critical.Identity.DockerReference}
}

// RepositoryNames implements repositoryNamer: the subject names of the
// bundle's statement.
func (e *bundleEvidence) RepositoryNames() []string { return subjectNames(e.statement) }

// envelopePayload returns the payload of a DSSE envelope, or nil.
func envelopePayload(raw []byte) []byte {
	var env struct {
		Payload string `json:"payload"`
	}
	if json.Unmarshal(raw, &env) != nil {
		return nil
	}
	p, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		return nil
	}
	return p
}

// subjectNames returns the non-empty subject names of an in-toto
// statement.
func subjectNames(statement []byte) []string {
	var st struct {
		Subject []struct {
			Name string `json:"name"`
		} `json:"subject"`
	}
	if statement == nil || json.Unmarshal(statement, &st) != nil {
		return nil
	}
	var out []string
	for _, s := range st.Subject {
		if s.Name != "" && !slices.Contains(out, s.Name) {
			out = append(out, s.Name)
		}
	}
	return out
}
