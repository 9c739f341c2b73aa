package checker

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestGuidesNameRealCases: every common mistake a task guide
// (docs/tasks/taskN.md) lists quotes what the checker says when a student
// makes it, and every quote ("...") there is part of a reason the
// broken-implementation corpus of the task expects
// (checker/testdata/broken/TASK, see broken_test.go), so the checker says it; every guide quotes at
// least two, names no case by path (the student copy has no corpus), and
// its images exist.
func TestGuidesNameRealCases(t *testing.T) {
	quoteRE := regexp.MustCompile(`"([^"]+)"`)
	imgRE := regexp.MustCompile(`!\[[^\]]*\]\(([^)]+)\)`)
	for _, task := range Tasks() {
		path := filepath.Join("..", "docs", "tasks", task.Name+".md")
		b, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("no guide for %s: %v", task.Name, err)
			continue
		}
		guide := string(b)
		if strings.Contains(guide, "testdata/broken") {
			t.Errorf("%s names testdata/broken, which the student copy leaves out: say what the mistake is and what the checker reports", path)
		}
		var reasons []string
		files, _ := filepath.Glob(filepath.Join("testdata", "broken", task.Name, "*.go.txt"))
		for _, f := range files {
			for _, w := range parseCase(t, f).wants {
				reasons = append(reasons, w.reasons...)
			}
		}
		_, sec, ok := strings.Cut(guide, "\n## Common mistakes\n")
		if !ok {
			t.Errorf("%s: no Common mistakes section", path)
		}
		sec, _, _ = strings.Cut(sec, "\n## ")
		quoted := 0
		for _, item := range strings.Split(sec, "\n- ")[1:] {
			item = strings.Join(strings.Fields(item), " ")
			qs := quoteRE.FindAllStringSubmatch(item, -1)
			if len(qs) == 0 {
				t.Errorf("%s: the common mistake %q quotes nothing the checker says", path, item)
			}
			for _, q := range qs {
				quoted++
				if !slices.ContainsFunc(reasons, func(r string) bool { return strings.Contains(r, q[1]) }) {
					t.Errorf("%s quotes the checker saying %q, which no case of checker/testdata/broken/%s expects in a reason", path, q[1], task.Name)
				}
			}
		}
		if quoted < 2 {
			t.Errorf("%s quotes %d reasons of the checker among its common mistakes, want at least 2", path, quoted)
		}
		for _, m := range imgRE.FindAllStringSubmatch(guide, -1) {
			if _, err := os.Stat(filepath.Join(filepath.Dir(path), m[1])); err != nil {
				t.Errorf("%s shows %s, which does not exist", path, m[1])
			}
		}
	}
}
