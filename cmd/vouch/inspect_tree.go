package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/vouchsec/vouch/pkg/inspect"
)

// writeInspectTree writes an inspection as a tree: one branch per item,
// its details below it.
func writeInspectTree(w io.Writer, res *inspect.Result) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", res.Reference)
	fmt.Fprintf(&b, "  resolved to %s@%s (%s, %s)\n", res.Repository, res.Digest,
		mediaTypeName(res.MediaType), byteSize(res.Size))
	fmt.Fprintf(&b, "  NOT VERIFIED: this shows what is attached and who it claims to be "+
		"signed by; vouch verify checks it.\n")
	branches := len(res.Attached)
	if len(res.Platforms) > 0 {
		branches++
	}
	if branches == 0 {
		fmt.Fprintf(&b, "  (nothing attached)\n")
	}
	for i, it := range res.Attached {
		treeItem(&b, "", it, i == branches-1)
	}
	if len(res.Platforms) > 0 {
		fmt.Fprintf(&b, "└── platforms\n")
		for i, p := range res.Platforms {
			treePlatform(&b, "    ", p, i == len(res.Platforms)-1)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// branch returns the connector for an entry and the prefix for what is
// below it.
func branch(prefix string, last bool) (connector, below string) {
	if last {
		return prefix + "└── ", prefix + "    "
	}
	return prefix + "├── ", prefix + "│   "
}

func treePlatform(b *strings.Builder, prefix string, p *inspect.Platform, last bool) {
	conn, below := branch(prefix, last)
	platform := p.Platform
	if platform == "" {
		platform = "(no platform)"
	}
	fmt.Fprintf(b, "%s%s %s (%s, %s)\n", conn, platform, p.Digest, mediaTypeName(p.MediaType),
		byteSize(p.Size))
	if len(p.Attached) == 0 {
		fmt.Fprintf(b, "%s(nothing attached)\n", below)
	}
	for i, it := range p.Attached {
		treeItem(b, below, it, i == len(p.Attached)-1)
	}
}

func treeItem(b *strings.Builder, prefix string, it *inspect.Item, last bool) {
	conn, below := branch(prefix, last)
	fmt.Fprintf(b, "%s%s %s\n", conn, kindName(it.Kind), it.Digest)
	detail := below + "  "
	if len(it.Attached) > 0 {
		detail = below + "│ "
	}
	for _, kv := range itemDetails(it) {
		fmt.Fprintf(b, "%s%-15s %s\n", detail, kv[0]+":", kv[1])
	}
	for i, c := range it.Attached {
		treeItem(b, below, c, i == len(it.Attached)-1)
	}
}

// itemDetails lists what the tree shows of an item, as name and value.
func itemDetails(it *inspect.Item) [][2]string {
	var out [][2]string
	add := func(k, v string) {
		if v != "" {
			out = append(out, [2]string{k, v})
		}
	}
	where := it.Storage
	if it.Tag != "" {
		where = "tag " + it.Tag
	}
	add("stored as", where)
	add("artifact type", it.ArtifactType)
	add("envelope", it.Envelope)
	add("predicate type", it.PredicateType)
	if s := it.Signer; s != nil {
		add("signer", signerText(s))
	}
	if !it.Created.IsZero() {
		add("created", it.Created.Format(time.RFC3339)+" ("+it.CreatedFrom+")")
	}
	if it.Timestamped {
		add("timestamp", "RFC 3161 countersignature present")
	}
	add("size", byteSize(it.Size))
	add("error", it.Error)
	return out
}

func signerText(s *inspect.Signer) string {
	out := s.Identity
	if c := s.Certificate; c != nil {
		if c.SubjectAlternativeName != "" && c.Subject != "" {
			out += ", subject " + c.Subject
		}
		if c.OIDCIssuer != "" {
			out += ", OIDC issuer " + c.OIDCIssuer
		}
		out += ", issued by " + c.Issuer
	}
	if s.KeyHint != "" {
		out += ", key hint " + s.KeyHint
	}
	return out
}

func kindName(kind string) string {
	switch kind {
	case inspect.KindAttestation:
		return "attestation (unsigned statement)"
	}
	return strings.ReplaceAll(kind, "-", " ")
}

func mediaTypeName(mt string) string {
	switch mt {
	case "application/vnd.oci.image.index.v1+json":
		return "OCI image index"
	case "application/vnd.oci.image.manifest.v1+json":
		return "OCI image manifest"
	case "application/vnd.docker.distribution.manifest.list.v2+json":
		return "Docker manifest list"
	case "application/vnd.docker.distribution.manifest.v2+json":
		return "Docker image manifest"
	}
	return mt
}

// byteSize writes n bytes for a reader: 245 B, 1.9 KiB, 3.2 MiB.
func byteSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, suffix := float64(n)/unit, "KiB"
	for _, s := range []string{"MiB", "GiB", "TiB"} {
		if v < unit {
			break
		}
		v, suffix = v/unit, s
	}
	return fmt.Sprintf("%.1f %s", v, suffix)
}
