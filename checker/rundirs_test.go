package checker

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// An attack on other students' grading: a process that can write to the
// temporary folder plants a symbolic link named like a check's folder
// (nnkit-check-*) pointing at "/". Were it listed, every later student
// process would be asked to hide "/", which contains its own work folder,
// and each item would fail as a checker error. Only real folders are
// listed; the caller's own folder never is.
func TestRunDirsListsOnlyRealFolders(t *testing.T) {
	own, err := os.MkdirTemp("", "nnkit-check-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(own)
	other, err := os.MkdirTemp("", "nnkit-check-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(other)
	link := other + "-link"
	if err := os.Symlink("/", link); err != nil {
		t.Skipf("cannot make a symbolic link here: %v", err)
	}
	defer os.Remove(link)
	file := other + "-file"
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(file)

	runs := runDirs(own)
	if !slices.Contains(runs, other) {
		t.Errorf("runDirs = %q: the other check's folder %s is missing", runs, other)
	}
	for _, bad := range []string{own, link, file} {
		if slices.Contains(runs, bad) {
			t.Errorf("runDirs = %q: lists %s (%s)", runs, bad, map[string]string{own: "the caller's own folder", link: "a symbolic link to /", file: "a plain file"}[bad])
		}
	}
	hidden := hiddenPaths(Options{Root: t.TempDir()}, own)
	if slices.Contains(hidden, filepath.Clean(link)) {
		t.Errorf("hiddenPaths lists the planted link %s", link)
	}
	if !slices.Contains(hidden, filepath.Clean(other)) {
		t.Errorf("hiddenPaths = %q: another check's folder %s is not hidden from this check's student processes", hidden, other)
	}
	if slices.Contains(hidden, filepath.Clean(own)) {
		t.Errorf("hiddenPaths = %q: hides the check's own folder %s, where its student program runs", hidden, own)
	}
}

// With TMPDIR spelled with a trailing slash, os.MkdirTemp returns the
// run's folder as ".../tmp//nnkit-check-..."; the run must still know it
// as its own, or the sandbox would hide the folder its student program
// runs from and every item would fail.
func TestRunDirsKnowsOwnFolderWhateverTMPDIR(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir()+"/./")
	own, err := os.MkdirTemp("", runDirPattern)
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(own)
	if own == filepath.Clean(own) {
		t.Fatalf("os.MkdirTemp cleaned %s: this test needs another spelling", own)
	}
	if runs := runDirs(own); len(runs) != 0 {
		t.Errorf("runDirs(%q) = %q, want none: the run's own folder is listed as another's", own, runs)
	}
}
