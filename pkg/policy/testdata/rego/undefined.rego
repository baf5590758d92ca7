package vouch

deny contains msg if {
	input.config.os == "linux"
	msg := concat(", ", missing)
}
