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
	if slices.Contains(hiddenPaths(Options{Root: t.TempDir()}, own), filepath.Clean(link)) {
		t.Errorf("hiddenPaths lists the planted link %s", link)
	}
}
