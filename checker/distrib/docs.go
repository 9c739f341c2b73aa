package distrib

import (
	_ "embed"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// studentReadme is the copy's README.md: the student's entry point, in
// place of the kit's README, which is the instructor's.
//
//go:embed README.student.md
var studentReadme []byte

// readmeTemplate is where studentReadme lives in the kit and in the copy
// (the copy's checker/distrib compiles with it): its links are relative
// to the root, where it is written as README.md, which is checked.
const readmeTemplate = "checker/distrib/README.student.md"

// instructorOnly lists what the copy leaves out because it is written for
// instructors or the kit's developers and documents what the copy does
// not have (the solutions, `check grade`, benchmarks against PyTorch),
// as slash paths relative to the module root: a folder or a file. The
// kit's README.md is replaced by studentReadme (see generated).
var instructorOnly = []string{
	"docs/grading.md",             // check grade, sharding, the threat model
	"docs/performance.md",         // measurements and how to redo them
	"docs/performance-history.md", // the measurements of earlier rounds
	"docs/gemm-notes.md",          // the GEMM kernels' design notes
	// Benchmarks, the GPU check and the hostile corpus's comparison:
	// they run the solutions or the withheld corpus.
	"scripts",
}

// instructorCommand matches what the student docs may not tell students
// to use: the copy has no solutions, no fixtures recorder, no generator,
// no grader of a course.
var instructorCommand = regexp.MustCompile("(?:^|[\\s`(\\[\"'])(--?ref)\\b|(solutions/)|(check (?:gen|dist|grade|fixtures))\\b")

// mdLink matches the target of a Markdown link or image, inline
// ([text](target)) or by reference ([label]: target).
var mdLink = regexp.MustCompile(`\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)|(?m)^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)`)

// codeSpan matches an inline code span of one line.
var codeSpan = regexp.MustCompile("`([^`\n]+)`")

// DocProblem is a place of the copy's docs that points a student at what
// the copy does not have. Each stops the copy (see checkStudentDocs).
type DocProblem struct {
	File string // slash path relative to the copy
	Line int
	Kind string // DocLink, DocCommand or DocMention
	What string
}

// The kinds of DocProblem: a link to a file the copy lacks, an
// instructor's command, a file of the kit that the copy leaves out named
// in a code span (the mistake corpus, checker/testdata/broken, say: the guides
// describe each mistake and quote the checker instead).
const (
	DocLink    = "link"
	DocCommand = "command"
	DocMention = "mention"
)

func (p DocProblem) String() string { return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.What) }

// checkStudentDocs refuses the copy at out when CheckStudentDocs finds a
// problem in its docs, and names every one.
func checkStudentDocs(root, out string) error {
	problems, err := CheckStudentDocs(root, out)
	if err != nil {
		return err
	}
	if len(problems) == 0 {
		return nil
	}
	var b strings.Builder
	for _, p := range problems {
		b.WriteString("\n  " + p.String())
	}
	return fmt.Errorf("the copy's docs send students to what the copy does not have; expected no broken link, no instructor's command and no file the copy leaves out, found %d (fix the docs of the kit):%s", len(problems), b.String())
}

// CheckStudentDocs reads every Markdown file of the copy at out (outside
// vendor/, whose READMEs are the modules' own, and hidden folders) and
// returns every link to a file the copy lacks, every mention of an
// instructor's command (--ref, solutions/, check gen, dist, grade,
// fixtures), and every code span naming a file of the kit at root that
// the copy leaves out, but for what the copy's programs write (runs/,
// outputDirs).
func CheckStudentDocs(root, out string) ([]DocProblem, error) {
	var problems []DocProblem
	err := filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(out, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel != "." && (rel == "vendor" || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".md") || rel == readmeTemplate {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		problems = append(problems, checkDoc(root, out, rel, string(b))...)
		return nil
	})
	return problems, err
}

// checkDoc checks one Markdown file of the copy (see CheckStudentDocs).
func checkDoc(root, out, rel, text string) []DocProblem {
	var problems []DocProblem
	add := func(line int, kind, format string, args ...any) {
		problems = append(problems, DocProblem{rel, line, kind, fmt.Sprintf(format, args...)})
	}
	exists := func(base, p string) bool {
		_, err := os.Stat(filepath.Join(base, filepath.FromSlash(p)))
		return err == nil
	}
	dir := path.Dir(rel)
	fenced := false
	for i, line := range strings.Split(text, "\n") {
		n := i + 1
		for _, m := range instructorCommand.FindAllStringSubmatch(line, -1) {
			for _, g := range m[1:] {
				if g != "" {
					add(n, DocCommand, "mentions %q, which is for instructors (the copy has no solutions, generator or grader)", g)
				}
			}
		}
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fenced = !fenced
			continue
		}
		if fenced {
			continue
		}
		for _, m := range mdLink.FindAllStringSubmatch(line, -1) {
			target := m[1] + m[2]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") || strings.HasPrefix(target, "#") {
				continue
			}
			target, _, _ = strings.Cut(target, "#")
			p := path.Clean(path.Join(dir, target))
			if strings.HasPrefix(p, "../") || !exists(out, p) {
				add(n, DocLink, "links to %s, which is not in the copy", target)
			}
		}
		for _, m := range codeSpan.FindAllStringSubmatch(line, -1) {
			for _, tok := range strings.Fields(m[1]) {
				tok = strings.TrimRight(strings.TrimLeft(tok, "(\"'"), ").,;:\"'")
				if !strings.Contains(tok, "/") || strings.Contains(tok, "://") {
					continue
				}
				for _, p := range []string{path.Clean(tok), path.Clean(path.Join(dir, tok))} {
					if !strings.HasPrefix(p, "../") && p != "." && !output(p) && exists(root, p) && !exists(out, p) {
						add(n, DocMention, "names %s, which the copy leaves out", tok)
						break
					}
				}
			}
		}
	}
	return problems
}

// output reports whether p (slash, relative to the root) is in a folder
// where the kit and the copy write what they make (outputDirs): the copy
// leaves the kit's out, and makes its own (`check run` writes runs/).
func output(p string) bool {
	for _, o := range outputDirs {
		if p == o || strings.HasPrefix(p, o+"/") {
			return true
		}
	}
	return false
}

// studentCuts lists, for each doc that the copy ships cut, the blocks it
// leaves out: a heading ("## Tests": the section, up to the next heading
// of its level or higher) or the first words of a paragraph (up to the
// next blank line). docs/gpu.md is for the backend's developers; what
// applies to a student, `check run task3 -device cuda`, building with
// the tag and where the libraries are looked for, stays.
var studentCuts = map[string][]string{
	"docs/gpu.md": {
		"Status (phase 2)", // the verification status, naming scripts/
		"## How the backend works",
		"## Tests",
		"## Running the check on a GPU machine",
		"## The seam",
	},
}

// cutDoc returns text without the blocks of cuts (see studentCuts), or an
// error naming a block it did not find: a doc renamed or rewritten must
// not ship whole by accident.
func cutDoc(rel, text string, cuts []string) (string, error) {
	lines := strings.Split(text, "\n")
	drop := make([]bool, len(lines))
	fenced := make([]bool, len(lines)) // a "# comment" in a code block is no heading
	in := false
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "```") {
			in = !in
		}
		fenced[i] = in
	}
	for _, c := range cuts {
		start := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, c) })
		if start < 0 {
			return "", fmt.Errorf("%s: the copy leaves out the block starting %q, but the doc has none: update studentCuts in checker/distrib", rel, c)
		}
		level := headingLevel(c)
		end := start + 1
		for ; end < len(lines); end++ {
			l := lines[end]
			if level == 0 && strings.TrimSpace(l) == "" {
				end++ // the blank line after the paragraph
				break
			}
			if n := headingLevel(l); level > 0 && !fenced[end] && n > 0 && n <= level {
				break
			}
		}
		for i := start; i < end; i++ {
			drop[i] = true
		}
	}
	var kept []string
	for i, l := range lines {
		if !drop[i] {
			kept = append(kept, l)
		}
	}
	return strings.Join(kept, "\n"), nil
}

// headingLevel is the level of a Markdown ATX heading (2 for "## A"), or
// 0 for a line that is none.
func headingLevel(line string) int {
	n := len(line) - len(strings.TrimLeft(line, "#"))
	if n == 0 || n > 6 || !strings.HasPrefix(line[n:], " ") {
		return 0
	}
	return n
}
