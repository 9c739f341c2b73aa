package hostile

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "forge.txt")
	os.WriteFile(path, []byte(`An attack, in prose: with a colon in it.
Relu: not a key.

base: exercises/task1
want Relu score=0 status="rule broken"
want Prelu score=0
want-all-unsafe: score=0
unsafe: os syscall
-- task1/a.go --
package task1
-- task1/b_test.go --
package task1

// -- not a section --
`), 0o644)
	c, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "forge" || c.Get("base") != "exercises/task1" || c.Get("unsafe") != "os syscall" || c.Get("want-all-unsafe") != "score=0" {
		t.Errorf("header %v", c.Header)
	}
	if want := []string{`Relu score=0 status="rule broken"`, "Prelu score=0"}; !slices.Equal(c.Header["want"], want) {
		t.Errorf("wants %q, expected %q", c.Header["want"], want)
	}
	if _, prose := c.Header["Relu"]; prose {
		t.Error("a prose line was read as a key")
	}
	if c.Files["task1/a.go"] != "package task1\n" || c.Files["task1/b_test.go"] != "package task1\n\n// -- not a section --\n" {
		t.Errorf("files %q", c.Files)
	}
	os.WriteFile(path, []byte("base: x\n"), 0o644)
	if _, err := Read(path); err == nil {
		t.Error("a case without files was read")
	}
}

// TestCorpusReads: every case of the corpus has a base and files.
func TestCorpusReads(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "hostile", "*.txt"))
	more, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "hostile", "isolated", "*.txt"))
	if len(paths) < 10 {
		t.Fatalf("%d cases", len(paths))
	}
	for _, p := range append(paths, more...) {
		if _, err := Read(p); err != nil {
			t.Error(err)
		}
	}
}
