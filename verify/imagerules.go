package verify

import (
	"fmt"
	"strings"

	"github.com/vouchsec/vouch/pkg/policy"
)

// judgment is what one image rule makes of one image: why it fails, or
// else a note for the pass.
type judgment struct {
	fail, note string
}

// imageChecks applies a policy's image rules, one check for each rule.
func (e *evaluator) imageChecks(r *policy.ImageRules) []Check {
	var out []Check
	if r.NonRoot {
		out = append(out, e.imageCheck("nonRoot", r.NonRootPos, nonRoot))
	}
	if len(r.RequiredLabels) > 0 {
		out = append(out, e.imageCheck("requiredLabels", r.RequiredLabelsPos,
			func(img *imageConfig) judgment { return requiredLabels(img, r.RequiredLabels) }))
	}
	if len(r.AllowedBaseImages) > 0 {
		out = append(out, e.imageCheck("allowedBaseImages", r.AllowedBaseImagesPos,
			func(img *imageConfig) judgment { return allowedBase(img, r.AllowedBaseImages) }))
	}
	if len(r.DeniedEnv) > 0 {
		out = append(out, e.imageCheck("deniedEnv", r.DeniedEnvPos,
			func(img *imageConfig) judgment { return deniedEnv(img, r.DeniedEnv) }))
	}
	if r.MaxLayers > 0 {
		out = append(out, e.imageCheck(fmt.Sprintf("maxLayers %d", r.MaxLayers), r.MaxLayersPos,
			func(img *imageConfig) judgment { return maxLayers(img, r.MaxLayers) }))
	}
	return out
}

// imageCheck judges every image (each platform of an index) by one rule.
// rule starts the reason, and its first word names the check.
func (e *evaluator) imageCheck(rule string, pos policy.Position,
	judge func(*imageConfig) judgment) Check {
	field, _, _ := strings.Cut(rule, " ")
	c := Check{Requirement: "image." + field, Position: pos.String()}
	if e.imageErr != nil {
		c.Reason = fmt.Sprintf("%s: cannot read the image configuration: %v", rule, e.imageErr)
		return c
	}
	var fails, notes []string
	for _, img := range e.images {
		j := judge(img)
		prefix := ""
		if img.platform != "" {
			prefix = img.platform + ": "
		}
		if j.fail != "" {
			fails = append(fails, prefix+j.fail)
		} else {
			notes = append(notes, prefix+j.note)
		}
	}
	if len(fails) > 0 {
		c.Reason = rule + ": " + strings.Join(fails, "; ")
		return c
	}
	c.Passed = true
	c.Reason = rule + ": " + strings.Join(notes, "; ")
	return c
}

func nonRoot(img *imageConfig) judgment {
	user := img.file.Config.User
	switch {
	case strings.TrimSpace(user) == "":
		return judgment{fail: "the config sets no user, so the image runs as root"}
	case policy.IsRootUser(user, img.file.OS):
		return judgment{fail: fmt.Sprintf("the image runs as root (user %q)", user)}
	}
	return judgment{note: fmt.Sprintf("runs as user %q", user)}
}

func requiredLabels(img *imageConfig, want []policy.RequiredLabel) judgment {
	labels := img.file.Config.Labels
	var problems, names []string
	for _, l := range want {
		v, ok := labels[l.Name]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("label %s is missing", l.Name))
		case l.Value != "" && v != l.Value:
			problems = append(problems, fmt.Sprintf("label %s is %q, not %q", l.Name, v, l.Value))
		default:
			names = append(names, l.Name)
		}
	}
	if len(problems) > 0 {
		return judgment{fail: strings.Join(problems, ", ")}
	}
	return judgment{note: "has " + strings.Join(names, ", ")}
}

func allowedBase(img *imageConfig, allowed []policy.ImagePattern) judgment {
	ref, digest := img.baseImage()
	if ref == "" {
		return judgment{fail: "base image unknown: the image has no " +
			policy.AnnotationBaseName + " annotation or label"}
	}
	var pats []string
	for _, p := range allowed {
		ok, err := p.Matches(ref, digest)
		if err != nil {
			return judgment{fail: fmt.Sprintf("base image %q cannot be read: %v", ref, err)}
		}
		if ok {
			return judgment{note: fmt.Sprintf("base image %s matches %s", ref, p.Pattern)}
		}
		pats = append(pats, p.Pattern)
	}
	return judgment{fail: fmt.Sprintf("base image %s is not allowed (allowed: %s)", ref,
		strings.Join(pats, ", "))}
}

// deniedEnv names the environment variables a pattern denies, never
// their values: a value that is a secret must not reach the report.
func deniedEnv(img *imageConfig, denied []policy.EnvPattern) judgment {
	var hits []string
	for _, env := range img.file.Config.Env {
		for _, p := range denied {
			if p.Matches(env) {
				n, _, _ := strings.Cut(env, "=")
				hits = append(hits, fmt.Sprintf("%s (denied by %s)", n, p.Pattern))
				break
			}
		}
	}
	if len(hits) > 0 {
		return judgment{fail: fmt.Sprintf("%d environment variable(s) denied: %s", len(hits),
			shortList(hits))}
	}
	return judgment{note: fmt.Sprintf("none of %d environment variable(s) denied",
		len(img.file.Config.Env))}
}

func maxLayers(img *imageConfig, limit int) judgment {
	if img.layers > limit {
		return judgment{fail: fmt.Sprintf("the image has %d layers", img.layers)}
	}
	return judgment{note: fmt.Sprintf("%d layer(s)", img.layers)}
}
