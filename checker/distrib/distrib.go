// Package distrib writes the student distribution of the kit (`check
// dist OUT`): a copy of the module that builds, tests and grades without
// the reference solutions.
//
// What the copy holds: a README written for students (README.student.md),
// the exercises as generated from the solutions, the engine (tensor, nn,
// optim, data, internal/...) with its tests, the checker and its CLI,
// conceptual/grade and conceptual/answers, the student guides
// (docs/tasks, and docs/gpu.md cut to what applies to students), the
// embedded Fashion-MNIST subset, the fixtures, the pristine stubs that
// `check reset` restores (StubsDir) and the modules in vendor/, so that
// it builds with no network (vendor.go). What it leaves out: solutions/
// (the reference code of every task, and solutions/nets: the
// assignment's networks as the kit's other tests use them, with the GPU
// training checks of LeNet-5 and ResNet-18), checker/testdata/broken/ (mistakes
// written over the solutions), the conceptual root package,
// conceptual/reference/ and docs/conceptual/ (the worked answers),
// conceptual/grade/truth_live.go (the engine code that computes the
// numeric answers), hidden folders, every test file that imports or
// reads something left out (with the other tests of its package), the
// checker's corpus of hostile submissions (checker/testdata/hostile,
// written over the solutions), the folder of any program outside the
// checker that runs the solutions, the instructor's docs and scripts
// (instructorOnly), and what the kit made (runs/, bin/, zips, PDFs).
//
// The engine holds none of the assignment's networks, not even in its
// tests (they build networks of their own), so its packages ship whole.
// Leaving out by name is the construction; the answer scan (answers.go)
// is its proof: Write compares every function body, run of statements
// and large expression of the copy with every answer of the kit, as
// normalised syntax trees, and refuses a copy that holds one. Likewise
// for the docs: Write refuses a copy whose Markdown links to a file it
// lacks, names an instructor's command, or names in code a file of the
// kit that it leaves out (docs.go).
//
// What it changes, so that the copy compiles and grades without them:
//
//   - checker/internal/given/taskN is solutions/taskN with every graded
//     body stubbed out (what `check gen` writes into exercises/): the
//     given helpers the rubric uses (GetData, Loss, InitWeights...). Every
//     import of nnkit/solutions/taskN is rewritten to it.
//   - checker/zz_fixtures.go embeds checker/fixtures and installs them in
//     place of the live solutions (checker.UseFixtures): the rubric
//     compares against the recorded reference outputs.
//   - conceptual/grade/truth_hashed.go holds the answers of problems 3
//     and 5 as salted hashes (grade.HashedAnswers).
package distrib

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"nnkit/checker"
	"nnkit/checker/gen"
	conceptual "nnkit/conceptual/grade"
)

// Options configure Write.
type Options struct {
	// Salt salts the hashes of the conceptual answers; nil draws 16
	// random bytes.
	Salt []byte
	// Log, when not nil, receives one line per step.
	Log io.Writer
}

// GivenDir is where the distribution puts the given helpers of the
// solutions, relative to the module root.
const GivenDir = "checker/internal/given"

// StubsDir is where the copy keeps the pristine stubs of every task
// (StubsDir/task1/task1.go), as `check gen` generates exercises/, for
// `check reset` to restore; relative to the module root.
const StubsDir = ".nnkit/stubs"

// withheld lists what the distribution leaves out because it holds
// answers, as slash paths relative to the module root: a folder (with its
// subfolders), or a file. "solutions" covers solutions/nets, where the
// assignment's networks live for the kit's tests: nothing under the
// engine (tensor, nn, optim, data) may hold them, so that no engine
// package or test has to be left out.
var withheld = []string{
	"solutions",
	"checker/testdata/broken",
	"conceptual/reference",
	"docs/conceptual",
	"conceptual/grade/truth_live.go",
	// TrainTorch's training loop, with knobs for the known mistakes.
	"checker/task2_variants.go",
	// conceptual/grade's tests grade the right numbers.
	"conceptual/grade/testdata",
	// The checker's corpus of hostile submissions: each is written over
	// a solution (its "base: solutions/taskN"), so most hold every
	// graded body of their task.
	"checker/testdata/hostile",
	// The similarity corpus: correct solutions of tasks 1, 2 and 4 and
	// their disguised copies.
	"checker/similar/testdata/corpus",
}

// generated lists the files Write writes itself: a file of the kit at
// one of these paths (there is none in a clean checkout) is replaced.
var generated = []string{
	"README.md",
	"checker/zz_fixtures.go",
	"conceptual/grade/truth_hashed.go",
}

// outputDirs are the folders, relative to the module root, where the kit
// writes what it makes (check run's plots, the test binaries for the GPU
// check): never source, and possibly the reference's output.
var outputDirs = []string{"runs", "bin"}

// compiled reports whether b is an executable or an object archive (ELF,
// Mach-O, PE, ar), which the answer scan cannot read: the kit holds no
// binary, so one found in it was built there.
func compiled(b []byte) bool {
	for _, magic := range []string{"\x7fELF", "\xcf\xfa\xed\xfe", "\xce\xfa\xed\xfe", "\xca\xfe\xba\xbe", "MZ", "!<arch>\n"} {
		if bytes.HasPrefix(b, []byte(magic)) {
			return true
		}
	}
	return false
}

// withheldRoot reports files of the conceptual root package (its .go
// files: the closed forms of the answers).
func withheldRoot(rel string) bool {
	return filepath.ToSlash(filepath.Dir(rel)) == "conceptual" && strings.HasSuffix(rel, ".go")
}

// testNeedsWithheld matches a test file that imports or reads something
// the distribution leaves out.
var testNeedsWithheld = regexp.MustCompile(`nnkit/solutions|"nnkit/conceptual"|nnkit/conceptual/reference|"(?:[^"\n]*/)?solutions(?:/[^"\n]*)?"|testdata/broken|testdata/hostile|testdata/corpus|"hostile"|docs/conceptual`)

// Excluded reports whether the file rel (slash path relative to the
// module root) stays out of the distribution, and why.
func Excluded(rel string, content []byte) (bool, string) {
	rel = filepath.ToSlash(rel)
	for _, p := range strings.Split(rel, "/") {
		if strings.HasPrefix(p, ".") && p != "." && p != ".." {
			return true, "hidden"
		}
	}
	for _, w := range withheld {
		if rel == w || strings.HasPrefix(rel, w+"/") {
			return true, "withheld: " + w
		}
	}
	if slices.Contains(generated, rel) {
		return true, "generated by check dist"
	}
	for _, w := range instructorOnly {
		if rel == w || strings.HasPrefix(rel, w+"/") {
			return true, "instructor only: " + w
		}
	}
	if withheldRoot(rel) {
		return true, "withheld: the conceptual root package"
	}
	if strings.HasSuffix(rel, ".bak") || strings.HasSuffix(rel, "~") {
		return true, "backup"
	}
	for _, o := range outputDirs {
		if rel == o || strings.HasPrefix(rel, o+"/") {
			return true, "output, not source: " + o
		}
	}
	if compiled(content) {
		return true, "a compiled program (a check built in the kit links the solutions)"
	}
	if strings.HasSuffix(rel, ".zip") || strings.HasSuffix(rel, ".pdf") {
		// The kit holds none: a zip or PDF is a submission packed or
		// rendered here (the solutions, the worked answers), which the
		// answer scan cannot read.
		return true, "a submission or rendered answers"
	}
	if strings.HasSuffix(rel, "_test.go") && strings.HasPrefix(rel, "conceptual/grade/") {
		return true, "test with the conceptual answers"
	}
	if strings.HasSuffix(rel, "_test.go") && testNeedsWithheld.Match(content) {
		return true, "test of withheld code"
	}
	return false, ""
}

// solutionsImport matches the import paths of the task packages, which
// the copy replaces with their given helpers.
var solutionsImport = regexp.MustCompile(`nnkit/solutions/(task[0-9]+)\b`)

// taskImport matches the import path of a task package.
var taskImport = regexp.MustCompile(`^nnkit/solutions/task[0-9]+$`)

// otherSolutionsImport returns the first import of a package under
// solutions/ other than a task package (solutions/nets, say), which has
// no given counterpart in the copy, or "".
func otherSolutionsImport(rel string, src []byte) (string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), rel, src, parser.ImportsOnly)
	if err != nil {
		return "", err
	}
	for _, im := range f.Imports {
		p, err := strconv.Unquote(im.Path.Value)
		if err == nil && strings.HasPrefix(p, "nnkit/solutions/") && !taskImport.MatchString(p) {
			return p, nil
		}
	}
	return "", nil
}

var conceptualImport = regexp.MustCompile(`"nnkit/conceptual"`)

// conceptualSubset is the part of the conceptual root package shipped when
// shipped code imports it: problem 6's RNN Jacobian products (problem 6
// is answered in prose and graded by hand), with the helpers it needs.
var conceptualSubset = []string{"conceptual/doc.go", "conceptual/p6rnn.go"}

// Write writes the distribution of the kit at root into out, which must
// not exist yet or be empty.
func Write(root, out string, opt Options) error {
	logf := func(format string, args ...any) {
		if opt.Log != nil {
			fmt.Fprintf(opt.Log, format+"\n", args...)
		}
	}
	if checker.FixtureMode() {
		return errors.New("this is already a student distribution (no solutions to leave out)")
	}
	root, err := filepath.Abs(root)
	if err != nil {
		return err
	}
	out, err = filepath.Abs(out)
	if err != nil {
		return err
	}
	if ents, err := os.ReadDir(out); err == nil && len(ents) > 0 {
		return fmt.Errorf("%s is not empty: give a new folder", out)
	}
	if err := checker.VerifyFixtures(filepath.Join(root, checker.FixturesDir), false); err != nil {
		return fmt.Errorf("the fixtures are not in order (run `check fixtures`):\n%v", err)
	}
	salt := opt.Salt
	if salt == nil {
		salt = make([]byte, 16)
		if _, err := rand.Read(salt); err != nil {
			return err
		}
	}
	hashed, err := conceptual.HashAnswers(salt)
	if err != nil {
		return err
	}
	// The exercises as generated from the solutions: the copy's
	// exercises/ and its pristine stubs for `check reset`.
	generatedFiles, err := gen.Generate(root)
	if err != nil {
		return err
	}
	fresh := map[string][]byte{}
	for _, f := range generatedFiles {
		fresh[f.Exercise] = f.Content
	}
	write := func(rel string, b []byte, perm fs.FileMode) error {
		p := filepath.Join(out, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		return os.WriteFile(p, b, perm)
	}
	// First the files and what to leave out; then, since the tests of
	// a package may share helpers, a package with any test left out
	// loses all its tests.
	type file struct {
		rel  string
		b    []byte
		perm fs.FileMode
	}
	var files []file
	testsOut := map[string]string{} // dir -> why
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == out {
			return filepath.SkipDir
		}
		rel, err := filepath.Rel(root, p)
		if err != nil || rel == "." {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if ex, why := Excluded(rel, nil); ex {
				logf("leave out %s/ (%s)", rel, why)
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil // links and devices stay out
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if ex, why := Excluded(rel, b); ex {
			logf("leave out %s (%s)", rel, why)
			if strings.HasSuffix(rel, "_test.go") {
				testsOut[path.Dir(rel)] = rel
			}
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		files = append(files, file{rel, b, info.Mode().Perm()})
		return nil
	})
	if err != nil {
		return err
	}
	// A program outside the checker that runs the solutions (a
	// benchmark, say) has no place in the distribution: its folder stays
	// out.
	dropDirs := map[string]bool{}
	for _, f := range files {
		dir := path.Dir(f.rel)
		if strings.HasSuffix(f.rel, ".go") && !strings.HasSuffix(f.rel, "_test.go") &&
			!strings.HasPrefix(f.rel, "checker/") && solutionsImport.Match(f.b) && !dropDirs[dir] {
			dropDirs[dir] = true
			logf("leave out %s/ (%s runs the solutions)", dir, f.rel)
		}
	}
	n := 0
	var needConceptual []string
	for _, f := range files {
		if dropDirs[path.Dir(f.rel)] {
			continue
		}
		if strings.HasSuffix(f.rel, ".go") && !strings.HasSuffix(f.rel, "_test.go") {
			m, err := otherSolutionsImport(f.rel, f.b)
			if err != nil {
				return err
			}
			if m != "" {
				return fmt.Errorf("%s imports %s, which the distribution leaves out and has no given helpers for: move the code that needs it under solutions/ or into a test", f.rel, m)
			}
		}
		if why, ok := testsOut[path.Dir(f.rel)]; ok && strings.HasSuffix(f.rel, "_test.go") {
			logf("leave out %s (its package's tests share helpers with %s, left out)", f.rel, why)
			continue
		}
		b := f.b
		if g, ok := fresh[f.rel]; ok {
			if !bytes.Equal(g, b) {
				logf("%s differs from a fresh generation (edited, or the solutions changed since `check gen`): the copy gets the fresh one", f.rel)
			}
			b = g
			delete(fresh, f.rel)
		}
		if cuts, ok := studentCuts[f.rel]; ok {
			text, err := cutDoc(f.rel, string(b), cuts)
			if err != nil {
				return err
			}
			b = []byte(text)
			logf("cut %s to what applies to students (%d blocks left out)", f.rel, len(cuts))
		}
		if strings.HasSuffix(f.rel, ".go") {
			b = solutionsImport.ReplaceAll(b, []byte("nnkit/"+GivenDir+"/$1"))
			if conceptualImport.Match(b) && !strings.HasSuffix(f.rel, "_test.go") {
				needConceptual = append(needConceptual, f.rel)
			}
		}
		if err := write(f.rel, b, f.perm); err != nil {
			return err
		}
		n++
	}
	logf("copied %d files", n)
	for _, rel := range slices.Sorted(maps.Keys(fresh)) {
		logf("%s is missing from the kit: the copy gets a fresh generation", rel)
		if err := write(rel, fresh[rel], 0o644); err != nil {
			return err
		}
	}
	// The pristine stubs `check reset` restores: exactly what the copy's
	// exercises/ holds before the student touches it. A hidden folder,
	// which the go command's ./... and check's own expansion skip.
	for _, f := range generatedFiles {
		if err := write(StubsDir+"/"+f.Task+"/"+path.Base(f.Exercise), f.Content, 0o644); err != nil {
			return err
		}
	}
	logf("wrote %d pristine stubs under %s/", len(generatedFiles), StubsDir)
	if err := write("README.md", studentReadme, 0o644); err != nil {
		return err
	}
	logf("wrote README.md, the student's")
	if len(needConceptual) > 0 {
		// Problem 6 is graded by hand, and its numeric demonstration
		// (the norms of products of RNN Jacobians) is no answer to copy:
		// ship it, alone, for the shipped code that uses it.
		logf("%s import nnkit/conceptual: shipping %s only", strings.Join(needConceptual, ", "), strings.Join(conceptualSubset, ", "))
		for _, rel := range conceptualSubset {
			b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
			if err != nil {
				return err
			}
			if err := write(rel, b, 0o644); err != nil {
				return err
			}
		}
	}

	// The given helpers: the solutions with the graded bodies stubbed.
	for _, f := range generatedFiles {
		header := fmt.Sprintf(gen.Header, f.Solution, "exercises/"+f.Task)
		body := bytes.TrimPrefix(f.Content, []byte(header))
		body = solutionsImport.ReplaceAll(body, []byte("nnkit/"+GivenDir+"/$1"))
		src := append([]byte("// Code generated by `check dist` from "+f.Solution+" with every graded\n// body stubbed out: the given helpers the checker uses. DO NOT EDIT.\n\n"), body...)
		rel := GivenDir + "/" + f.Task + "/" + filepath.Base(f.Exercise)
		if err := write(rel, src, 0o644); err != nil {
			return err
		}
		logf("wrote %s", rel)
	}

	// The fixtures in place of the live solutions.
	if err := write("checker/zz_fixtures.go", []byte(checkerFixtures), 0o644); err != nil {
		return err
	}
	if err := write("conceptual/grade/truth_hashed.go", hashed.GoSource(), 0o644); err != nil {
		return err
	}
	logf("wrote checker/zz_fixtures.go, conceptual/grade/truth_hashed.go")

	// The proof: no answer in the copy, whatever its name or layout.
	scanned, err := proveNoAnswers(root, out)
	if err != nil {
		return err
	}
	logf("answer scan: none of the %d answers of the kit is in the copy", scanned)

	if err := checkStudentDocs(root, out); err != nil {
		return err
	}
	logf("docs: every link of the copy's Markdown resolves, and none names an instructor's command or a file the copy leaves out")

	// After the scan: vendor/ is the modules' code from the module
	// cache, none of the kit's.
	if err := vendorModules(context.Background(), out); err != nil {
		return err
	}
	logf("vendored the modules into vendor/: the copy builds with no network and an empty module cache")
	return nil
}

// proveNoAnswers scans the copy in out for the answers of the kit at root
// (see Answers) and returns how many answers it looked for. When it finds
// one, it empties out, so that no copy with answers is left to ship, and
// says what it found.
func proveNoAnswers(root, out string) (int, error) {
	answers, err := CollectAnswers(root)
	if err != nil {
		return 0, err
	}
	leaks, err := answers.Scan(out)
	if err != nil {
		return 0, err
	}
	if len(leaks) == 0 {
		return answers.Len(), nil
	}
	var b strings.Builder
	for _, l := range leaks {
		b.WriteString("\n  " + l.String())
	}
	if err := emptyDir(out); err != nil {
		return 0, fmt.Errorf("the copy holds answers (and removing it failed: %v); expected none, found %d:%s", err, len(leaks), b.String())
	}
	return 0, fmt.Errorf("the copy holds answers, so %s was emptied; expected none, found %d:%s", out, len(leaks), b.String())
}

// emptyDir removes everything in dir, which Write filled from empty.
func emptyDir(dir string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

const checkerFixtures = `// Code generated by ` + "`check dist`" + `. DO NOT EDIT.

package checker

import "embed"

// fixtureFiles holds the recorded reference outputs (FixturesDir) that
// the checker of the student distribution compares against. They are
// embedded here, in the checker, so that no package a student program
// links carries them.
//
//go:embed fixtures/*.json fixtures/MANIFEST
var fixtureFiles embed.FS

// The student distribution has no solutions: every reference is the
// replay of its recorded fixtures.
func init() {
	if err := UseFixtures(fixtureFiles, "fixtures"); err != nil {
		panic(err)
	}
}
`
