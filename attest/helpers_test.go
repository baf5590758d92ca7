package attest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// corpusDirs are where the shared corpus of real supply-chain files may
// be: $VOUCH_CORPUS, the development machine's copy, or shared/ beside the
// repository, as CI lays it out.
func corpusDirs() []string {
	return []string{os.Getenv("VOUCH_CORPUS"), "/work/shared/corpus", "../../shared/corpus"}
}

// findCorpus returns the corpus directory, or "" when there is none.
func findCorpus() string {
	for _, d := range corpusDirs() {
		if d == "" {
			continue
		}
		if fi, err := os.Stat(filepath.Join(d, "README.md")); err == nil && fi.Mode().IsRegular() {
			return d
		}
	}
	return ""
}

// corpus returns the corpus directory, skipping the test when it is absent.
func corpus(t *testing.T) string {
	t.Helper()
	d := findCorpus()
	if d == "" {
		t.Skipf("corpus not available in any of %q", corpusDirs())
	}
	return d
}

// readFile reads a file relative to the package directory.
func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.FromSlash(path))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// corpusFiles lists the regular files under the corpus, relative to it.
func corpusFiles(t *testing.T, root string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(root, p)
		files = append(files, filepath.ToSlash(rel))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func mustTime(t testing.TB, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

// wantError checks err against a wanted substring; "" wants no error.
func wantError(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case want != "" && err == nil:
		t.Fatalf("got no error, want one containing %q", want)
	case want != "" && !strings.Contains(err.Error(), want):
		t.Fatalf("error %q does not contain %q", err, want)
	}
}
