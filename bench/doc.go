// Package bench compares vouch with the cosign CLI on the same work: both
// binaries are built from this module, run against one in-process registry
// on loopback, and timed in turn, iteration by iteration.
//
// The package has no library code; its benchmarks live in the test files.
// README.md says how to run them and how to read their numbers.
package bench
