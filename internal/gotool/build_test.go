package gotool

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestUpToDate(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name     string
		binAge   time.Duration // 0: no binary
		sumAge   time.Duration
		wantSkip bool
	}{
		{"no binary", 0, time.Hour, false},
		{"binary older than go.sum", 2 * time.Hour, time.Hour, false},
		{"binary newer than go.sum", time.Hour, 2 * time.Hour, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			bin, sum := filepath.Join(dir, "tool"), filepath.Join(dir, "go.sum")
			touch(t, sum, now.Add(-tt.sumAge))
			if tt.binAge != 0 {
				touch(t, bin, now.Add(-tt.binAge))
			}
			got, err := upToDate(bin, sum)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.wantSkip {
				t.Errorf("upToDate = %v, want %v", got, tt.wantSkip)
			}
		})
	}
}

func touch(t *testing.T, path string, mtime time.Time) {
	t.Helper()
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		t.Fatal(err)
	}
}
