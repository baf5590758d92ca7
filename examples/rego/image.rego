# Custom image rules for image-rules.yaml, in Rego v1.
#
# vouch evaluates data.vouch.deny: every message in the set refuses the
# image, and the report lists each one. input.config is the image's config
# file (what `crane config IMAGE` prints); input.image has its digest,
# repository and, for one platform of a multi-platform image, platform.
# Network and runtime built-ins (http.send, net.*, opa.runtime) are not
# available, and an evaluation that runs too long fails.
package vouch

# Ports below 1024 need privileges the container should not have.
deny contains msg if {
	some port, _ in input.config.config.ExposedPorts
	number := to_number(split(port, "/")[0])
	number < 1024
	msg := sprintf("exposes privileged port %s; listen on a port above 1023", [port])
}

# Piping a download into a shell runs whatever the server sends that day.
deny contains msg if {
	some step in input.config.history
	regex.match(`(curl|wget)[^|;&]*\|\s*(ba|da)?sh\b`, step.created_by)
	msg := sprintf("a build step pipes a download into a shell: %s", [step.created_by])
}

# apt-get without --no-install-recommends pulls in packages nobody asked for.
deny contains msg if {
	some step in input.config.history
	contains(step.created_by, "apt-get install")
	not contains(step.created_by, "--no-install-recommends")
	msg := "a build step runs apt-get install without --no-install-recommends"
}

# Only the platforms the production cluster runs.
deny contains msg if {
	not input.config.architecture in {"amd64", "arm64"}
	msg := sprintf("architecture %s is not run in production", [input.config.architecture])
}
