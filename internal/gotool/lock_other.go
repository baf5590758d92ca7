//go:build !unix

package gotool

// lockFile does nothing where flock is not available: parallel test packages
// may then build the binary twice, each into its own temporary file.
func lockFile(string) (unlock func(), err error) {
	return func() {}, nil
}
