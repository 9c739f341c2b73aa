package grade

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"nnkit/checker"
)

// Prose answers: each answer in p2.md, p4.md and p6.md follows a line
// "### Your answer" and runs to the next heading; the template's
// placeholder line does not count.
const (
	answerHeading = "### Your answer"
	placeholder   = "_(write your answer here)_"
)

// proseItem is a hand-graded item: the file and which answer block.
type proseItem struct {
	item   string
	points float64
	file   string
	block  int // 0-based index of the "### Your answer" block
	label  string
}

var proseItems = []proseItem{
	{ItemP21, 3, "p2.md", 0, "2.1"},
	{ItemP22, 3, "p2.md", 1, "2.2"},
	{ItemP4, 8, "p4.md", 0, "4"},
	{ItemP6, 5, "p6.md", 0, "6"},
}

// answerBlocks returns the text of every answer block of a Markdown file.
func answerBlocks(src string) []string {
	var blocks []string
	cur := -1
	for _, line := range strings.Split(src, "\n") {
		t := strings.TrimSpace(line)
		if t == answerHeading {
			blocks = append(blocks, "")
			cur = len(blocks) - 1
			continue
		}
		if strings.HasPrefix(t, "#") {
			cur = -1
			continue
		}
		if cur >= 0 && t != placeholder {
			blocks[cur] += line + "\n"
		}
	}
	return blocks
}

// gradeProse lists one hand-graded item: Status HandGraded when an
// answer is written (its Score stays 0 and means nothing: the table and
// results.json show it as pending), NotDone when the block is empty or
// missing (that is a 0 check can give).
func gradeProse(dir string, p proseItem) checker.Result {
	r := checker.Result{Task: task, Item: p.item, Max: p.points}
	src, err := os.ReadFile(filepath.Join(dir, p.file))
	if err != nil {
		r.Status, r.Reason = checker.NotDone, fmt.Sprintf("%s not found: answer %s there, under %q", p.file, p.label, answerHeading)
		return r
	}
	blocks := answerBlocks(string(src))
	if p.block >= len(blocks) {
		r.Status, r.Reason = checker.NotDone, fmt.Sprintf("%s has no %q section for %s", p.file, answerHeading, p.label)
		return r
	}
	words := len(strings.Fields(blocks[p.block]))
	if words == 0 {
		r.Status, r.Reason = checker.NotDone, fmt.Sprintf("%s: no answer to %s yet", p.file, p.label)
		return r
	}
	r.Status = checker.HandGraded
	r.Reason = fmt.Sprintf("graded by hand: %s, %d words, waits for an instructor", p.file, words)
	return r
}
