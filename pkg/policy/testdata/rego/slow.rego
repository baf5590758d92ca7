# Iterates 2000^3 times without building anything up: a rule that would
# run for minutes, for the evaluation timeout.
package vouch

deny contains "never" if {
	r := numbers.range(1, 2000)
	some a in r
	some b in r
	some c in r
	a + b + c < 0
}
