package checker

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestGuidesNameRealCases: every broken-implementation case a task guide
// (docs/tasks/taskN.md) names as a common mistake exists in the corpus,
// so the checker recognises it; every guide names at least two, and its
// images exist.
func TestGuidesNameRealCases(t *testing.T) {
	caseRE := regexp.MustCompile("testdata/broken/(task[0-9]+)/([a-z0-9_]+\\.go\\.txt)")
	imgRE := regexp.MustCompile(`!\[[^\]]*\]\(([^)]+)\)`)
	for _, task := range Tasks() {
		path := filepath.Join("..", "docs", "tasks", task.Name+".md")
		b, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("no guide for %s: %v", task.Name, err)
			continue
		}
		guide := string(b)
		if !strings.Contains(guide, "## Common mistakes") {
			t.Errorf("%s: no Common mistakes section", path)
		}
		cases := caseRE.FindAllStringSubmatch(guide, -1)
		if len(cases) < 2 {
			t.Errorf("%s names %d cases of testdata/broken, want at least 2", path, len(cases))
		}
		for _, m := range cases {
			if m[1] != task.Name {
				t.Errorf("%s names %s, a case of another task", path, m[0])
			}
			if _, err := os.Stat(filepath.Join("..", m[0])); err != nil {
				t.Errorf("%s names %s, which does not exist", path, m[0])
			}
		}
		for _, m := range imgRE.FindAllStringSubmatch(guide, -1) {
			if _, err := os.Stat(filepath.Join(filepath.Dir(path), m[1])); err != nil {
				t.Errorf("%s shows %s, which does not exist", path, m[1])
			}
		}
	}
}
