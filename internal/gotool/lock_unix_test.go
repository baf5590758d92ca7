//go:build unix

package gotool

import (
	"path/filepath"
	"testing"
	"time"
)

// TestLockFileExcludes checks that a second holder waits for the first: the
// guard that keeps parallel test packages from building a tool together.
func TestLockFileExcludes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tool.lock")
	unlock, err := lockFile(path)
	if err != nil {
		t.Fatal(err)
	}
	acquired := make(chan func())
	go func() {
		second, err := lockFile(path)
		if err != nil {
			t.Error(err)
			second = func() {}
		}
		acquired <- second
	}()
	select {
	case second := <-acquired:
		second()
		t.Fatal("second lockFile returned while the first lock was held")
	case <-time.After(200 * time.Millisecond):
	}
	unlock()
	select {
	case second := <-acquired:
		second()
	case <-time.After(10 * time.Second):
		t.Fatal("second lockFile did not return after the first lock was released")
	}
}
