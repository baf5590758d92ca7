package report

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/vouchsec/vouch/verify"
)

// The SARIF version and schema written, and where vouch is described.
const (
	sarifVersion = "2.1.0"
	sarifSchema  = "https://json.schemastore.org/sarif-2.1.0.json"
	vouchURI     = "https://github.com/vouchsec/vouch"
	reportDocURI = vouchURI + "/blob/main/docs/verify-report.md"
)

// WriteSARIF writes the report as a SARIF 2.1.0 log with one run of vouch.
// Every requirement checked becomes a rule, whose id is the policy name
// and the requirement ("production/signatures.anyOf",
// "production/attestations[0]/vuln"); every failed requirement of every
// image becomes a result of level error, located at the rule in the policy
// file, with the image in its message and properties. An image that could
// not be checked is a tool execution notification, and makes the
// invocation unsuccessful. A report in which every image passes gives a
// log with no results.
func WriteSARIF(w io.Writer, rep *verify.Report, opts Options) error {
	return writeIndented(w, sarifOf(rep, opts))
}

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Invocations []sarifInvocation `json:"invocations"`
	Results     []sarifResult     `json:"results"`
	Properties  sarifRunProps     `json:"properties"`
}

type sarifRunProps struct {
	Policy string `json:"policy"`
	Passed bool   `json:"passed"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name"`
	ShortDescription     sarifText      `json:"shortDescription"`
	FullDescription      sarifText      `json:"fullDescription"`
	Help                 sarifText      `json:"help"`
	HelpURI              string         `json:"helpUri"`
	DefaultConfiguration sarifConfig    `json:"defaultConfiguration"`
	Properties           sarifRuleProps `json:"properties"`
}

type sarifConfig struct {
	Level string `json:"level"`
}

type sarifRuleProps struct {
	Tags            []string `json:"tags"`
	Precision       string   `json:"precision"`
	ProblemSeverity string   `json:"problem.severity"`
	Policy          string   `json:"policy"`
	Requirement     string   `json:"requirement"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifInvocation struct {
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	StartTimeUTC               string              `json:"startTimeUtc,omitempty"`
	ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level      string     `json:"level"`
	Message    sarifText  `json:"message"`
	Properties imageProps `json:"properties"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifText         `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Properties          resultProps       `json:"properties"`
}

// imageProps say which image a result or notification is about.
type imageProps struct {
	Image      string `json:"image"`
	Digest     string `json:"digest,omitempty"`
	Repository string `json:"repository,omitempty"`
}

type resultProps struct {
	imageProps
	Policy      string   `json:"policy"`
	Requirement string   `json:"requirement"`
	Waived      []string `json:"waived,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           sarifRegion   `json:"region"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

// sarifRegion is where a rule stands: its first line and column. The end
// is left to its default, the end of the line.
type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
	EndLine     int `json:"endLine"`
}

// sarifBuilder collects the rules of a run as results refer to them.
type sarifBuilder struct {
	policyFile string
	rules      []sarifRule
	index      map[string]int
}

func sarifOf(rep *verify.Report, opts Options) *sarifLog {
	b := &sarifBuilder{policyFile: rep.Policy, rules: []sarifRule{}, index: map[string]int{}}
	inv := sarifInvocation{ExecutionSuccessful: true}
	if !rep.Time.IsZero() {
		inv.StartTimeUTC = rep.Time.UTC().Format(time.RFC3339Nano)
	}
	results := []sarifResult{}
	for _, img := range rep.Images {
		if img.Status == verify.StatusError {
			inv.ExecutionSuccessful = false
			inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, sarifNotification{
				Level:      "error",
				Message:    sarifText{Text: aboutImage(img, img.Error)},
				Properties: imagePropsOf(img),
			})
			continue
		}
		for _, p := range img.Policies {
			for _, c := range p.Checks {
				i := b.rule(p.Name, c)
				if !c.Passed {
					results = append(results, b.result(i, img, p.Name, c))
				}
			}
		}
	}
	return &sarifLog{Schema: sarifSchema, Version: sarifVersion, Runs: []sarifRun{{
		Tool: sarifTool{Driver: sarifDriver{
			Name: "vouch", Version: opts.ToolVersion, InformationURI: vouchURI, Rules: b.rules,
		}},
		Invocations: []sarifInvocation{inv},
		Results:     results,
		Properties:  sarifRunProps{Policy: rep.Policy, Passed: rep.Passed},
	}}}
}

// ruleID names a requirement of a policy: the policy name, then the words
// of the requirement, joined by slashes.
func ruleID(policy, requirement string) string {
	return policy + "/" + strings.Join(strings.Fields(requirement), "/")
}

// rule returns the index of the rule for requirement c of a policy,
// adding it at its first use.
func (b *sarifBuilder) rule(policy string, c verify.Check) int {
	id := ruleID(policy, c.Requirement)
	if i, ok := b.index[id]; ok {
		return i
	}
	where := b.policyFile
	if c.Position != "" {
		where = c.Position
	}
	short := fmt.Sprintf("Policy %s: %s", policy, c.Requirement)
	full := fmt.Sprintf("Every image that policy %s applies to must meet its requirement %s (%s).",
		policy, c.Requirement, where)
	help := full + " A result names the image and says which check failed and why: sign or " +
		"attest the image as the policy asks, or change the policy, then run vouch verify again."
	if policy == verify.NoPolicy {
		short = "No policy applies to the image"
		full = fmt.Sprintf("Every image must be in the scope of at least one policy of %s.", b.policyFile)
		help = full + " A result names an image whose repository no policy scope matches: add a " +
			"policy for it, or widen a scope, then run vouch verify again."
	}
	b.rules = append(b.rules, sarifRule{
		ID:                   id,
		Name:                 id,
		ShortDescription:     sarifText{Text: short},
		FullDescription:      sarifText{Text: full},
		Help:                 sarifText{Text: help},
		HelpURI:              reportDocURI,
		DefaultConfiguration: sarifConfig{Level: "error"},
		Properties: sarifRuleProps{Tags: []string{"supply-chain", "trust-policy"}, Precision: "very-high",
			ProblemSeverity: "error", Policy: policy, Requirement: c.Requirement},
	})
	b.index[id] = len(b.rules) - 1
	return len(b.rules) - 1
}

func (b *sarifBuilder) result(rule int, img *verify.ImageResult, policy string,
	c verify.Check,
) sarifResult {
	file, line, col := splitPosition(c.Position)
	if file == "" {
		file = b.policyFile
	}
	id := b.rules[rule].ID
	return sarifResult{
		RuleID:    id,
		RuleIndex: rule,
		Level:     "error",
		Message:   sarifText{Text: aboutImage(img, c.Reason)},
		Locations: []sarifLocation{{PhysicalLocation: sarifPhysical{
			ArtifactLocation: sarifArtifact{URI: artifactURI(file)},
			Region:           sarifRegion{StartLine: max(line, 1), StartColumn: col, EndLine: max(line, 1)},
		}}},
		PartialFingerprints: map[string]string{"primaryLocationLineHash": fingerprint(id, img)},
		Properties: resultProps{imageProps: imagePropsOf(img), Policy: policy,
			Requirement: c.Requirement, Waived: c.Waived},
	}
}

// aboutImage prefixes msg with the image's reference, unless msg names
// it already.
func aboutImage(img *verify.ImageResult, msg string) string {
	if strings.Contains(msg, img.Reference) {
		return msg
	}
	return img.Reference + ": " + msg
}

func imagePropsOf(img *verify.ImageResult) imageProps {
	return imageProps{Image: img.Reference, Digest: img.Digest, Repository: img.Repository}
}

// fingerprint identifies a failure across runs by rule and image
// repository, not by line, so that an alert stays one alert per
// repository while the policy file is edited and the image rebuilt.
// GitHub code scanning reads only this key of partialFingerprints.
func fingerprint(ruleID string, img *verify.ImageResult) string {
	repo := img.Repository
	if repo == "" {
		repo = img.Reference
	}
	sum := sha256.Sum256([]byte(ruleID + "\x00" + repo))
	return hex.EncodeToString(sum[:16]) + ":1"
}

// artifactURI turns a file path into a SARIF artifact URI: a relative
// reference for a relative path (code-scanning services take it as
// relative to the repository root), a file: URI for an absolute one.
func artifactURI(file string) string {
	p := filepath.ToSlash(file)
	if !filepath.IsAbs(file) {
		return (&url.URL{Path: p}).String()
	}
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // a Windows drive letter
	}
	return (&url.URL{Scheme: "file", Path: p}).String()
}
