package vouch

deny contains msg if {
	msg := "unclosed"
