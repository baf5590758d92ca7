# Refuses images whose config does not say who maintains them, and SBOM
# statements that name no document.
package vouch

deny contains msg if {
	not input.config.config.Labels.maintainer
	msg := "the image names no maintainer label"
}

deny contains msg if {
	some f in input.findings
	f.severity == "critical"
	not f.fixedVersion
	msg := sprintf("%s in %s has no fix", [f.id, f.package])
}

deny contains msg if {
	input.statement
	input.statement.predicateType == "https://spdx.dev/Document"
	not input.statement.predicate.name
	msg := "the SPDX document has no name"
}
