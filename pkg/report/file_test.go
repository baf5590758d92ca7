package report_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/vouchsec/vouch/pkg/report"
)

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "vouch.sarif")
	if err := report.WriteFile(path, report.SARIF, sample(), opts); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(render(t, report.SARIF, sample())) {
		t.Errorf("file differs from the rendered report:\n%s", got)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, %v; want 0644", fi.Mode(), err)
	}

	// A report that cannot be rendered leaves the old file and no
	// temporary one.
	if err := report.WriteFile(path, report.Format("yaml"), sample(), opts); err == nil {
		t.Fatal("writing format yaml succeeded")
	}
	if again, _ := os.ReadFile(path); string(again) != string(got) {
		t.Error("a failed write changed the file")
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("%d files in the directory after a failed write, want 1", len(entries))
	}

	missing := filepath.Join(dir, "missing", "r.json")
	if err := report.WriteFile(missing, report.JSON, sample(), opts); err == nil {
		t.Error("writing into a missing directory succeeded")
	}
}
