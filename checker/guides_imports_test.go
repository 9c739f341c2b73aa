package checker

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestGuidesListAllowedImports: every task guide (docs/tasks/taskN.md)
// lists, in its "Allowed imports" section, exactly the imports the
// checker allows for the task, so a student can read the rule that
// scores an extra import 0.
func TestGuidesListAllowedImports(t *testing.T) {
	codeRE := regexp.MustCompile("`([^`]+)`")
	for _, task := range Tasks() {
		path := filepath.Join("..", "docs", "tasks", task.Name+".md")
		b, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("no guide for %s: %v", task.Name, err)
			continue
		}
		_, sec, ok := strings.Cut(string(b), "\n## Allowed imports\n")
		if !ok {
			t.Errorf("%s: no \"## Allowed imports\" section", path)
			continue
		}
		sec, _, _ = strings.Cut(sec, "\n## ")
		// The list is the paragraph of import paths in backquotes.
		var listed []string
		for _, para := range strings.Split(sec, "\n\n") {
			if !strings.HasPrefix(strings.TrimSpace(para), "`") {
				continue
			}
			for _, m := range codeRE.FindAllStringSubmatch(para, -1) {
				listed = append(listed, m[1])
			}
		}
		want := slices.Clone(task.Allowed)
		slices.Sort(want)
		slices.Sort(listed)
		if !slices.Equal(listed, want) {
			t.Errorf("%s lists the imports\n  %q\nthe checker allows\n  %q", path, listed, want)
		}
	}
}
