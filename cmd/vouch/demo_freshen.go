package main

import (
	"encoding/json"
	"fmt"
	"os"
	"time"
)

// freshen sets the creation or scan time of an SBOM or scan report to t,
// for the demo's sample files, which are real but years old. It knows the
// time fields of SPDX (creationInfo.created), Trivy (CreatedAt), Grype
// (descriptor.timestamp) and CycloneDX (metadata.timestamp).
func freshen(path string, t time.Time) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	stamp := t.UTC().Format(time.RFC3339)
	set := func(parent, key string) {
		if m, ok := doc[parent].(map[string]any); ok {
			m[key] = stamp
		}
	}
	set("creationInfo", "created")
	set("descriptor", "timestamp")
	set("metadata", "timestamp")
	if _, ok := doc["CreatedAt"]; ok {
		doc["CreatedAt"] = stamp
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, out, 0o644)
}
