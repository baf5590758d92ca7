package verify

import "time"

// SchemaVersion names the JSON report format documented in
// docs/verify-report.md. It changes only when a field changes meaning or
// goes away; new fields may be added within a version.
const SchemaVersion = "vouch.dev/verify-report/v1"

// Report is the outcome of verifying one or more images against a policy.
type Report struct {
	SchemaVersion string         `json:"schemaVersion"`
	Policy        string         `json:"policy"`
	Time          time.Time      `json:"time"`
	Passed        bool           `json:"passed"`
	Images        []*ImageResult `json:"images"`
}

// Status is an image's overall verdict.
type Status string

// The verdicts. StatusError means the image could not be checked at all
// (a bad reference, a registry that did not answer); it is never a pass.
const (
	StatusPass  Status = "pass"
	StatusFail  Status = "fail"
	StatusError Status = "error"
)

// ImageResult is the verdict for one image.
type ImageResult struct {
	Reference  string `json:"reference"`
	Digest     string `json:"digest,omitempty"`
	Repository string `json:"repository,omitempty"`
	// NamedRepositories are the other repositories the evidence names,
	// whose policies applied too (with [Options.NamedScopes] only).
	NamedRepositories []string         `json:"namedRepositories,omitempty"`
	Status            Status           `json:"status"`
	Error             string           `json:"error,omitempty"`
	Policies          []PolicyResult   `json:"policies"`
	Evidence          []EvidenceResult `json:"evidence"`

	// Err is the error behind StatusError, for callers that branch on it.
	Err error `json:"-"`
}

// Passed reports whether the image met every applicable policy.
func (r *ImageResult) Passed() bool { return r.Status == StatusPass }

// NoPolicy is the name of the one [PolicyResult] of an image that no
// policy applies to; its single check, "scope", fails.
const NoPolicy = "(none)"

// PolicyResult is the verdict of one policy that applies to an image.
type PolicyResult struct {
	Name   string  `json:"name"`
	Passed bool    `json:"passed"`
	Checks []Check `json:"checks"`
}

// Check is one requirement of a policy and whether the evidence meets it.
type Check struct {
	// Requirement names the rule, such as "signatures.anyOf" or
	// "attestations[1] vuln".
	Requirement string `json:"requirement"`
	Passed      bool   `json:"passed"`
	// Reason says why the check passed or failed, in one line.
	Reason string `json:"reason"`
	// SatisfiedBy lists the signers whose evidence met the requirement.
	SatisfiedBy []string `json:"satisfiedBy,omitempty"`
	// Position is where the rule stands in the policy file.
	Position string `json:"position,omitempty"`
	// Waived lists findings that broke a rule but are waived.
	Waived []string `json:"waived,omitempty"`
}

// EvidenceResult records what one piece of evidence proved.
type EvidenceResult struct {
	Kind          Kind     `json:"kind"`
	Backend       string   `json:"backend"`
	Source        string   `json:"source"`
	PredicateType string   `json:"predicateType,omitempty"`
	VerifiedBy    []string `json:"verifiedBy"`
	// Notes qualify a verification, per signer: "notary: level audit:
	// authenticity failed and was only logged: …".
	Notes []string `json:"notes,omitempty"`
	// Failures maps each signer tried to why the evidence did not verify
	// with it.
	Failures map[string]string `json:"failures,omitempty"`
}
