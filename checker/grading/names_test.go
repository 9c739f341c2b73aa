package grading

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseName(t *testing.T) {
	for name, want := range map[string]Part{
		"task1_3180100111.go":         "task1",
		"task4_3180100111.go":         "task4",
		"conceptual_3180100111.go":    PartP1,
		"conceptual_3180100111.txt":   PartAnswers,
		"conceptual_3180100111_p4.md": "conceptual_p4.md",
		"Task1_3180100111.go":         "",
		"task1-3180100111.go":         "",
		"task1_318010011.go":          "",
		"task5_3180100111.go":         "",
		"task1_3180100111_test.go":    "",
	} {
		p, id, ok := ParseName(name)
		if p != want || ok != (want != "") || ok && id != "3180100111" {
			t.Errorf("ParseName(%s) = %q %q %v, want %q", name, p, id, ok, want)
		}
		if ok && FileName(p, id) != name {
			t.Errorf("FileName(%q) = %s, want %s", p, FileName(p, id), name)
		}
	}
}

func TestIdentify(t *testing.T) {
	for _, c := range []struct {
		name, src string
		want      Part
	}{
		{"Task1.go", "package task1\n", "task1"},
		{"lenet.go", "// doc\npackage task3\n", "task3"},
		{"p1.go", "package answers\n", PartP1},
		{"broken_task2.go", "package task2\nfunc {", "task2"},
		{"answers.txt", "p3.parameters = 1\n", PartAnswers},
		{"P4.md", "proof", "conceptual_p4.md"},
		{"x_test.go", "package task1\n", ""},
		{"main.go", "package main\n", ""},
	} {
		if got, _ := Identify(c.name, []byte(c.src)); got != c.want {
			t.Errorf("Identify(%s) = %q, want %q", c.name, got, c.want)
		}
	}
}

func TestSafeName(t *testing.T) {
	for name, bad := range map[string]bool{
		"task1_3180100111.go": false, "sub/dir/task1.go": false,
		"../x.go": true, "a/../../x.go": true, "/etc/passwd": true, `..\x.go`: true, "C:/x.go": true,
	} {
		if got := safeName(name) != ""; got != bad {
			t.Errorf("safeName(%q) = %q", name, safeName(name))
		}
	}
}

func TestValidID(t *testing.T) {
	for id, ok := range map[string]bool{"3180100111": true, "318010011": false, "31801001111": false, "318010011a": false, "": false} {
		if (ValidID(id) == nil) != ok {
			t.Errorf("ValidID(%q) = %v", id, ValidID(id))
		}
	}
}

func TestMergeGo(t *testing.T) {
	a := "// Package task3 is a doc.\npackage task3\n\nimport (\n\t\"fmt\"\n\t\"nnkit/nn\"\n)\n\n// A does.\nfunc A() { fmt.Println(nn.Seed) }\n"
	b := "package task3\n\nimport \"fmt\"\n\nfunc B() { fmt.Println() }\n"
	m, err := MergeGo([]string{"a.go", "b.go"}, [][]byte{[]byte(a), []byte(b)})
	if err != nil {
		t.Fatal(err)
	}
	s := string(m)
	if !strings.HasPrefix(s, "// Package task3 is a doc.\npackage task3\n") || strings.Count(s, "\"fmt\"") != 1 || !strings.Contains(s, "// A does.\nfunc A()") || !strings.Contains(s, "func B()") {
		t.Errorf("merged:\n%s", s)
	}
}

// TestSubmit packs the kit's exercises (the stubs compile) and refuses a
// malformed ID; TestSubmitLayout checks what the zip holds.
func TestSubmit(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the exercise packages")
	}
	root := kitRoot(t)
	if _, err := Submit(context.Background(), root, "31801001", SubmitOptions{Out: t.TempDir()}); err == nil || !strings.Contains(err.Error(), "malformed") {
		t.Errorf("a short ID: %v", err)
	}
	got, err := Submit(context.Background(), root, "3180100111", SubmitOptions{Out: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(got.Zip) != "3180100111_assignment2.zip" || len(got.Names) != 10 {
		t.Errorf("zip %s holds %v", got.Zip, got.Names)
	}
}

// TestSubmitMissingFile: a kit without task 4 is not packed.
func TestSubmitMissingFile(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "exercises", "task1"), 0o755)
	_, err := Submit(context.Background(), root, "3180100111", SubmitOptions{})
	if err == nil || !strings.Contains(err.Error(), "exercises/task2/*.go") || !strings.Contains(err.Error(), "conceptual/answers/answers.txt") {
		t.Errorf("err = %v", err)
	}
	if ents, _ := filepath.Glob(filepath.Join(root, "*.zip")); len(ents) > 0 {
		t.Errorf("a zip was written: %v", ents)
	}
}

// TestMergeGoSameProgram: the merged file is the same program as the
// files it merges (package variables initialised and init functions run
// in the same order, across files), and an import two files bind by the
// same name (one implicitly, one explicitly) is not a second import.
func TestMergeGoSameProgram(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go")
	}
	for _, c := range []struct {
		name  string
		files []string // a.go, b.go, ...: package main
	}{
		{name: "init order across files", files: []string{
			"package main\n\nimport \"fmt\"\n\nvar A = trace(\"A\", B)\n\nfunc init() { fmt.Println(\"init a\") }\n\nfunc main() { fmt.Println(A, B, C) }\n",
			"package main\n\nimport \"fmt\"\n\nvar B = trace(\"B\", C)\n\nvar C = trace(\"C\", 1)\n\nfunc init() { fmt.Println(\"init b1\") }\n\nfunc init() { fmt.Println(\"init b2\") }\n\nfunc trace(s string, v int) int { fmt.Println(s); return v + 1 }\n",
		}},
		{name: "one import, named in one file only", files: []string{
			"package main\n\nimport math \"math\"\n\nfunc main() { println(math.Sqrt(4), f()) }\n",
			"package main\n\nimport (\n\t\"math\"\n\trand \"math/rand/v2\"\n)\n\nfunc f() float64 { _ = rand.N(1); return math.Pi }\n",
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			run := func(files map[string][]byte) string {
				t.Helper()
				dir := t.TempDir()
				files["go.mod"] = []byte("module m\n\ngo 1.26\n")
				writeFiles(t, dir, files)
				cmd := exec.Command("go", "run", ".")
				cmd.Dir = dir
				out, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("go run: %v\n%s", err, out)
				}
				return string(out)
			}
			split := map[string][]byte{}
			var names []string
			var srcs [][]byte
			for i, f := range c.files {
				n := string(rune('a'+i)) + ".go"
				split[n] = []byte(f)
				names = append(names, n)
				srcs = append(srcs, []byte(f))
			}
			merged, err := MergeGo(names, srcs)
			if err != nil {
				t.Fatal(err)
			}
			if a, b := run(split), run(map[string][]byte{"main.go": merged}); a != b {
				t.Errorf("the split files print\n%s\nthe merged file\n%s\n%s", a, b, merged)
			}
		})
	}
}
