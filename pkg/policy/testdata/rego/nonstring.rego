package vouch

deny contains {"rule": "user", "user": input.config.config.User} if {
	input.config.config.User == "root"
}
