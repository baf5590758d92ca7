package policy

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// ImageRules constrain an image's configuration, as its config blob and
// manifest record it. For an index, the image of every platform it lists
// must meet them. Each rule has the position it is given at, for reports.
type ImageRules struct {
	// NonRoot requires the config to name a user that is not root; see
	// [IsRootUser].
	NonRoot    bool
	NonRootPos Position
	// RequiredLabels are labels the config must carry.
	RequiredLabels    []RequiredLabel
	RequiredLabelsPos Position
	// AllowedBaseImages, when not empty, are the base images allowed, as
	// named by the org.opencontainers.image.base.name annotation.
	AllowedBaseImages    []ImagePattern
	AllowedBaseImagesPos Position
	// DeniedEnv are patterns no environment variable of the config may
	// match.
	DeniedEnv    []EnvPattern
	DeniedEnvPos Position
	// MaxLayers is the most layers the image may have; zero means no
	// limit.
	MaxLayers    int
	MaxLayersPos Position
}

// RequiredLabel is a label an image config must carry.
type RequiredLabel struct {
	Name string
	// Value is the value the label must have; empty means any value.
	Value string
	Pos   Position
}

// The annotation, and config label, that names an image's base image.
const (
	AnnotationBaseName   = "org.opencontainers.image.base.name"
	AnnotationBaseDigest = "org.opencontainers.image.base.digest"
)

// imageRules decodes a policy's image rules.
func (d *decoder) imageRules(n *yaml.Node) *ImageRules {
	before := len(d.errs)
	f, ok := d.mapping(n, "image rules", "nonRoot", "requiredLabels", "allowedBaseImages",
		"deniedEnv", "maxLayers")
	if !ok {
		return nil
	}
	r := &ImageRules{}
	if v := f.value("nonRoot"); v != nil {
		r.NonRoot, _ = d.boolean(v, "nonRoot")
		r.NonRootPos = d.pos(f.keys["nonRoot"])
	}
	if v := f.value("requiredLabels"); v != nil {
		r.RequiredLabels = d.requiredLabels(v)
		r.RequiredLabelsPos = d.pos(f.keys["requiredLabels"])
	}
	if v := f.value("allowedBaseImages"); v != nil {
		r.AllowedBaseImages = d.imagePatterns(v)
		r.AllowedBaseImagesPos = d.pos(f.keys["allowedBaseImages"])
	}
	if v := f.value("deniedEnv"); v != nil {
		r.DeniedEnv = d.envPatterns(v)
		r.DeniedEnvPos = d.pos(f.keys["deniedEnv"])
	}
	if v := f.value("maxLayers"); v != nil {
		if c, ok := d.count(v, "maxLayers"); ok && c == 0 {
			d.errorf(v, "maxLayers 0 allows no image at all; give at least 1")
		} else {
			r.MaxLayers = c
		}
		r.MaxLayersPos = d.pos(f.keys["maxLayers"])
	}
	if len(n.Content) == 0 {
		d.errorf(n, "image rules are empty; give nonRoot, requiredLabels, allowedBaseImages, "+
			"deniedEnv or maxLayers")
	} else if !r.requires() && len(d.errs) == before {
		d.errorf(n, "image rules require nothing (nonRoot: false is the default); "+
			"give a rule or leave image out")
	}
	return r
}

// requires reports whether the rules check anything.
func (r *ImageRules) requires() bool {
	return r.NonRoot || len(r.RequiredLabels) > 0 || len(r.AllowedBaseImages) > 0 ||
		len(r.DeniedEnv) > 0 || r.MaxLayers > 0
}

// requiredLabels decodes a mapping from label name to required value, an
// empty or null value meaning any value.
func (d *decoder) requiredLabels(n *yaml.Node) []RequiredLabel {
	if !d.expectKind(n, yaml.MappingNode, "requiredLabels") {
		return nil
	}
	if len(n.Content) == 0 {
		d.errorf(n, "requiredLabels is empty")
		return nil
	}
	var out []RequiredLabel
	seen := map[string]Position{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		name, ok := d.str(k, "label name")
		if !ok {
			continue
		}
		if first, dup := seen[name]; dup {
			d.errorf(k, "label %q is required twice (first at %s)", name, first)
			continue
		}
		seen[name] = d.pos(k)
		if v.Kind != yaml.ScalarNode {
			d.errorf(v, "label %q: the value must be a string, not %s", name, describe(v))
			continue
		}
		l := RequiredLabel{Name: name, Pos: d.pos(k)}
		if !isNull(v) {
			l.Value = v.Value
		}
		out = append(out, l)
	}
	return out
}

// imagePatterns decodes allowedBaseImages.
func (d *decoder) imagePatterns(n *yaml.Node) []ImagePattern {
	vals, nodes, _ := d.strList(n, "allowedBaseImages")
	var out []ImagePattern
	seen := map[string]Position{}
	for i, s := range vals {
		p, err := compileImagePattern(s)
		if err != nil {
			d.errorf(nodes[i], "allowedBaseImages: %v", err)
			continue
		}
		if first, dup := seen[s]; dup {
			d.errorf(nodes[i], "base image %q is given twice (first at %s)", s, first)
			continue
		}
		p.Pos = d.pos(nodes[i])
		seen[s] = p.Pos
		out = append(out, p)
	}
	return out
}

// envPatterns decodes deniedEnv.
func (d *decoder) envPatterns(n *yaml.Node) []EnvPattern {
	vals, nodes, _ := d.strList(n, "deniedEnv")
	var out []EnvPattern
	seen := map[string]Position{}
	for i, s := range vals {
		p, err := compileEnvPattern(s)
		if err != nil {
			d.errorf(nodes[i], "deniedEnv: %v", err)
			continue
		}
		if first, dup := seen[s]; dup {
			d.errorf(nodes[i], "deniedEnv pattern %q is given twice (first at %s)", s, first)
			continue
		}
		p.Pos = d.pos(nodes[i])
		seen[s] = p.Pos
		out = append(out, p)
	}
	return out
}

// String describes the label requirement for reports.
func (l RequiredLabel) String() string {
	if l.Value == "" {
		return l.Name
	}
	return fmt.Sprintf("%s=%s", l.Name, l.Value)
}
