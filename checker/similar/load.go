package similar

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"nnkit/checker/grading"
)

// Load reads submissions the way `check grade` does (zips and folders,
// the same ID rules, via grading.Discover) into Students: each one's Go
// parts (the four tasks and conceptual.go). Warnings are Discover's, about
// entries no submission could be made of. A submission without Go code
// (empty, or only the answers and the PDF) has nothing to compare and is
// left out; so is, for that reason, check grade's results folder when it
// lies among the submissions. A submission's notes about what was
// ignored (a second submission for its ID, two files for one part) are
// warnings too, prefixed with its ID: the comparison leaves that code out
// just as grading does, and the instructor should know.
func Load(root string) ([]Student, []string, error) {
	subs, warnings, err := grading.Discover(root, grading.DefaultLimits)
	if err != nil {
		return nil, warnings, err
	}
	var out []Student
	for _, s := range subs {
		if slices.Contains(s.Flags, "duplicate") {
			for _, n := range s.Notes {
				if strings.Contains(n, "ignored") {
					warnings = append(warnings, s.ID+": "+n)
				}
			}
		}
		st := Student{ID: s.ID, Tasks: map[string][]File{}}
		for _, p := range goParts() {
			for _, f := range s.Files[p] {
				st.Tasks[string(p)] = append(st.Tasks[string(p)], File{Name: f.Name, Text: string(f.Data)})
			}
		}
		if len(st.Tasks) > 0 {
			out = append(out, st)
		}
	}
	return out, warnings, nil
}

// goParts are the parts of a submission that are Go code.
func goParts() []grading.Part {
	var ps []grading.Part
	for _, p := range grading.Parts() {
		if strings.HasSuffix(grading.KitPath(p), ".go") || strings.HasPrefix(string(p), "task") {
			ps = append(ps, p)
		}
	}
	return ps
}

// stubsDir is distrib.StubsDir (a test checks they agree): where a
// student copy keeps the pristine stubs, which its exercises/ may no
// longer be.
const stubsDir = ".nnkit/stubs"

// KitBase reads the base code from a kit or student copy root: for each
// task every Go file of .nnkit/stubs/<task>/ where the copy has it (a
// student copy, whose exercises/ are the student's work), else of
// exercises/<task>/ (the generated stubs and given helpers), and
// conceptual/answers/p1.go for conceptual.go. A task whose folder is
// missing is an error: without its base, the kit's own code would count
// as shared.
func KitBase(root string) (Base, error) {
	b := Base{}
	for _, p := range goParts() {
		kp := filepath.FromSlash(grading.KitPath(p))
		var names []string
		if strings.HasSuffix(kp, ".go") {
			names = []string{filepath.Join(root, kp)}
		} else {
			for _, dir := range []string{filepath.Join(root, filepath.FromSlash(stubsDir), string(p)), filepath.Join(root, kp)} {
				var err error
				if names, err = filepath.Glob(filepath.Join(dir, "*.go")); err != nil {
					return nil, err
				}
				if len(names) > 0 {
					break
				}
			}
			if len(names) == 0 {
				return nil, fmt.Errorf("similar: no Go files for %s in %s: expected the kit's (or a student copy's) root, with the stubs in %s", p, root, kp)
			}
		}
		for _, n := range names {
			data, err := os.ReadFile(n)
			if err != nil {
				return nil, fmt.Errorf("similar: the base code of %s: %v", p, err)
			}
			b[string(p)] = append(b[string(p)], File{Name: filepath.Base(n), Text: string(data)})
		}
	}
	return b, nil
}
