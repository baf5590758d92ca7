package vouch

deny contains msg if {
	opa.runtime().env.HOME
	msg := "home"
}
