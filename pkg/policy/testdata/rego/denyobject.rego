package vouch

deny[msg] if {
	msg := "an object, not a set"
}
