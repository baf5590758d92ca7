package attest

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestInventory checks the packages read from the testdata SBOMs, with
// their versions and licenses as the documents give them.
func TestInventory(t *testing.T) {
	tests := []struct {
		file string
		// some are packages that must be in the inventory, in this order,
		// with every package of the same names.
		some []Package
	}{
		{"sample.spdx.json", []Package{
			{"alpine-baselayout", "3.4.0-r0", "GPL-2.0-only"},
			{"alpine-keys", "2.4-r1", "MIT"},
			{"busybox", "1.35.0", "NONE"},
			{"busybox", "1.35.0-r29", "GPL-2.0-only"},
			{"ca-certificates-bundle", "20220614-r4", "MPL-2.0 AND LicenseRef-AND AND MIT"},
			{"zlib", "1.2.13-r0", "Zlib"},
		}},
		{"trivy.centos-7-spdx.json", []Package{
			{"centos", "7.6.1810", ""},
			{"bash", "4.2.46", "GPLv3+"},
			{"openssl-libs", "1:1.0.2k-19.el7", "OpenSSL"},
		}},
		{"trivy.centos-7-cyclonedx.json", []Package{
			{"bash", "4.2.46-31.el7", "GPLv3+"},
			{"openssl-libs", "1.0.2k-16.el7", "OpenSSL+"},
			{"centos", "7.6.1810", ""},
		}},
		{"trivy.npm-cyclonedx.json", []Package{
			{"package-lock.json", "", ""},
			{"asap", "2.0.6", ""},
			{"jquery", "3.3.9", "MIT"},
			{"redux", "4.0.1", "MIT"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			s, err := ParseSBOM(readFile(t, "../testdata/sbom/"+tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if len(s.Inventory) != s.Packages {
				t.Errorf("%d packages in the inventory, Packages = %d", len(s.Inventory),
					s.Packages)
			}
			var got []Package
			for _, p := range s.Inventory {
				if slices.ContainsFunc(tc.some, func(w Package) bool { return w.Name == p.Name }) {
					got = append(got, p)
				}
			}
			if diff := cmp.Diff(tc.some, got); diff != "" {
				t.Errorf("inventory differs (-want +got):\n%s", diff)
			}
		})
	}
}

// TestInventoryLicenses checks how licenses are read: SPDX concluded
// before declared, NOASSERTION as none; CycloneDX expressions, ids and
// names, several joined with AND.
func TestInventoryLicenses(t *testing.T) {
	spdx := `{"spdxVersion":"SPDX-2.3","dataLicense":"CC0-1.0","SPDXID":"SPDXRef-DOCUMENT",
	"name":"x","documentNamespace":"https://example.com/x",
	"creationInfo":{"created":"2024-01-01T00:00:00Z","creators":["Tool: test"]},
	"packages":[
	 {"SPDXID":"SPDXRef-a","name":"a","versionInfo":"1.0.0","downloadLocation":"NOASSERTION",
	  "licenseConcluded":"NOASSERTION","licenseDeclared":"Apache-2.0"},
	 {"SPDXID":"SPDXRef-b","name":"b","downloadLocation":"NOASSERTION",
	  "licenseConcluded":"MIT OR GPL-3.0-only","licenseDeclared":"MIT"},
	 {"SPDXID":"SPDXRef-c","name":"c","downloadLocation":"NOASSERTION",
	  "licenseConcluded":"NOASSERTION","licenseDeclared":"NOASSERTION"}]}`
	cdx := `{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"components":[
	 {"type":"library","name":"a","version":"1","licenses":[{"expression":"MIT OR Apache-2.0"}]},
	 {"type":"library","name":"b","licenses":[{"license":{"id":"MIT"}},
	  {"license":{"name":"Custom License"}}],
	  "components":[{"type":"library","name":"b1","licenses":[{"license":{"id":"BSD-3-Clause"}}]}]},
	 {"type":"library","name":"c","licenses":[{"license":{"id":"MIT"}},
	  {"expression":"GPL-2.0-only OR BSD-2-Clause"}]}]}`
	for _, tc := range []struct {
		doc  string
		want []Package
	}{
		{spdx, []Package{{"a", "1.0.0", "Apache-2.0"}, {"b", "", "MIT OR GPL-3.0-only"},
			{"c", "", ""}}},
		{cdx, []Package{{"a", "1", "MIT OR Apache-2.0"}, {"b", "", "MIT AND (Custom License)"},
			{"b1", "", "BSD-3-Clause"}, {"c", "", "MIT AND (GPL-2.0-only OR BSD-2-Clause)"}}},
	} {
		s, err := ParseSBOM([]byte(tc.doc))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.want, s.Inventory); diff != "" {
			t.Errorf("%s inventory differs (-want +got):\n%s", s.Format, diff)
		}
	}
}
