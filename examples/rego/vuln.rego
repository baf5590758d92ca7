# A custom rule for the vulnerability scan in image-rules.yaml, in Rego v1.
#
# On an attestation requirement, input.statement is the whole in-toto
# statement, input.findings the scan's findings as vouch normalizes them
# (id, package, installedVersion, fixedVersion, severity: none, low,
# medium, high, critical or unknown), input.config and input.image as for
# the image rule.
package vouch

# maxSeverity: high lets high findings through; refuse those that a
# package upgrade would fix.
deny contains msg if {
	some f in input.findings
	f.severity == "high"
	f.fixedVersion
	msg := sprintf("%s in %s %s is fixed in %s: upgrade before release",
		[f.id, f.package, f.installedVersion, f.fixedVersion])
}

# The scan must say which scanner made it.
deny contains "the scan does not name its scanner" if {
	not input.statement.predicate.scanner.uri
}
