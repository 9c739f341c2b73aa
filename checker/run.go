package checker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/template"
	"time"

	"nnkit/checker/gen"
	"nnkit/checker/launch"
)

// DefaultTimeout is how long one item may run before it is stopped and
// reported as not finishing.
const DefaultTimeout = 20 * time.Second

// DefaultOutputCap is how much of an item's output (stdout and stderr) is
// kept.
const DefaultOutputCap = 64 << 10

// Options configure Check.
type Options struct {
	// Root is the nnkit module root; empty means the go.mod found above
	// the checked directory, or else above the current directory.
	Root string
	// Timeout limits each item's run; 0 means DefaultTimeout.
	Timeout time.Duration
	// OutputCap limits the output kept per item; 0 means
	// DefaultOutputCap.
	OutputCap int
	// MemoryBytes limits each student process's address space (a Go
	// program reserves about 800 MiB as it starts); 0 inherits the limit.
	MemoryBytes uint64
	// Hidden are folders the student process must not see (check grade's
	// results and the other students' folders), beside the kit's own
	// secrets (the solutions, the fixtures, the conceptual answers),
	// which are always hidden.
	Hidden []string
	// Go is the go command; empty means "go" on $PATH, else GOROOT's.
	Go string
	// Log, when not nil, receives one line per step.
	Log io.Writer
	// Progress, when not nil, is told what a slow step is doing (a
	// first build, which compiles the engine, takes a minute or more):
	// a line when the build has not finished after slowBuild, and one
	// when it ends. Give it stderr, never the report's stream.
	Progress io.Writer

	// slowBuild is how long a build runs before Progress hears of it; 0
	// means defaultSlowBuild and a negative value at once (the tests).
	slowBuild time.Duration

	// task, in tests, replaces the task TaskOf finds (to grade with the
	// source rules relaxed and see what stands behind them).
	task *Task
}

// virtualBase is where the student's package is placed, through
// `go test -overlay`, inside the module: nothing is written to the
// student's folder, and the folder may be anywhere.
const virtualBase = "checker/internal/virtual"

// FindRoot walks up from dir to the go.mod of module nnkit.
func FindRoot(dir string) (string, error) {
	d, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil {
			if regexp.MustCompile(`(?m)^module\s+nnkit\s*$`).Match(b) {
				return d, nil
			}
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("no go.mod of module nnkit above %s: run check inside the nnkit folder", dir)
		}
		d = parent
	}
}

// TaskOf says which task the package in dir is: the folder's name when it
// is a task's, else the package clause (see taskOf in rules_task.go).
func TaskOf(dir string) (*Task, error) { return taskOf(dir) }

// Check grades the task package in dir: the rules on its source first,
// then every item against a student process built from the package (see
// the package doc). Only a problem with dir itself (missing, not a task)
// is an error; whatever the student's code does ends up in the report.
func Check(ctx context.Context, dir string, opt Options) (Report, error) {
	t, err := TaskOf(dir)
	if err != nil {
		return Report{}, err
	}
	if opt.task != nil {
		t = opt.task
	}
	return CheckTask(ctx, dir, t, opt)
}

// CheckTask grades the package in dir as task t, which need not be one of
// Tasks(): the conceptual grader runs problem 1 this way.
func CheckTask(ctx context.Context, dir string, t *Task, opt Options) (Report, error) {
	var err error
	if opt.Root == "" {
		// The module above the package, else the one we run in (a
		// submission folder may be anywhere).
		if opt.Root, err = FindRoot(dir); err != nil {
			if opt.Root, err = FindRoot("."); err != nil {
				return Report{}, err
			}
		}
	}
	if opt.Timeout == 0 {
		opt.Timeout = DefaultTimeout
	}
	if opt.OutputCap == 0 {
		opt.OutputCap = DefaultOutputCap
	}
	if opt.Go == "" {
		opt.Go = launch.GoCommand()
	}
	r := &run{task: t, opt: opt, results: map[string]*Result{}}
	return r.check(ctx, dir)
}

type run struct {
	task    *Task
	opt     Options
	pkg     *pkgSource
	shown   string // the package's folder as the report names it (see shownDir)
	tmp     string
	vdir    string // the virtual package directory
	prog    *launch.Program
	results map[string]*Result
	bound   map[string]bool         // graded functions bound into the suite
	broken  map[string]compileError // functions stubbed because they do not compile
	notes   []Result
	// containment is what contained the last student process.
	containment string
	// ruleStubs are the declarations that use what the rules forbid:
	// they are stubbed out before the build, so that no item runs them.
	ruleStubs []string
	// unstartable is the result of the first item whose student process
	// never answered the checker's hello; later items get it too.
	unstartable *Result
}

func (r *run) logf(format string, args ...any) {
	if r.opt.Log != nil {
		fmt.Fprintf(r.opt.Log, format+"\n", args...)
	}
}

// settle fixes an item's result without running it.
func (r *run) settle(it Item, st Status, reason string) {
	if r.results[it.Name] != nil {
		return
	}
	r.results[it.Name] = &Result{Task: r.task.Name, Item: it.Name, Max: it.Points, Status: st, Reason: reason}
}

func (r *run) report() Report {
	var rep Report
	for _, n := range r.notes { // the compiler's word first: the items refer to it
		if n.Item == buildItem {
			rep.Results = append(rep.Results, n)
		}
	}
	for _, it := range r.task.Items {
		res := *r.results[it.Name]
		res.HasHints = HasHints(r.task.Name, it.Name)
		rep.Results = append(rep.Results, res)
	}
	for _, n := range r.notes {
		if n.Item != buildItem {
			rep.Results = append(rep.Results, n)
		}
	}
	rep.Containment = r.containment
	return rep
}

func (r *run) check(ctx context.Context, dir string) (Report, error) {
	r.shown = shownDir(dir)
	pkg, err := parsePackage(dir)
	var se *syntaxError
	if errors.As(err, &se) {
		var msgs []string
		for _, m := range se.msgs {
			msgs = append(msgs, r.shownPath(m))
		}
		r.buildFailed(strings.Join(msgs, "\n"), "a syntax error: the whole package must parse")
		return r.report(), nil
	}
	if err != nil {
		return Report{}, err
	}
	r.pkg = pkg

	// 1. The rules.
	vs, ok := checkRules(r.task, pkg)
	for _, v := range vs {
		if v.note() {
			r.notes = append(r.notes, Result{Task: r.task.Name, Item: "(rules)", Status: v.status, Reason: v.reason})
			continue
		}
		for _, it := range r.task.Items {
			if v.costs(it) {
				r.settle(it, v.status, v.reason)
			}
		}
		r.ruleStubs = append(r.ruleStubs, v.stub...)
	}
	r.bound = ok
	if allSettled(r) {
		return r.report(), nil // nothing left to build for
	}

	// 2. Build the student program, stubbing functions that do not compile.
	tmp, release, err := newRunDir()
	if err != nil {
		return Report{}, err
	}
	r.tmp = tmp
	defer os.RemoveAll(r.tmp)
	defer release()
	bin, err := r.build(ctx)
	if err != nil {
		return Report{}, err
	}
	if bin == "" {
		return r.report(), nil
	}

	// 3. Run every item still open in its own process.
	for _, it := range r.task.Items {
		if r.results[it.Name] != nil {
			continue
		}
		if fn := r.brokenFor(it); fn != "" {
			e := r.broken[fn]
			reason := fmt.Sprintf("does not compile: %s: %s (the other items were graded with %s stubbed out, but the package must compile)", r.where(e), e.msg, fn)
			if !slices.Contains(it.Uses, fn) && !slices.Contains(it.Methods, fn) {
				reason = fmt.Sprintf("uses %s, which does not compile (%s: %s)", fn, r.where(e), e.msg)
			}
			r.settle(it, BuildFailed, reason)
			continue
		}
		res := r.runItem(ctx, bin, it)
		r.results[it.Name] = &res
	}
	return r.report(), nil
}

// allSettled reports whether every item already has its result.
func allSettled(r *run) bool {
	for _, it := range r.task.Items {
		if r.results[it.Name] == nil {
			return false
		}
	}
	return true
}

// brokenFor returns a function the item reaches that had to be stubbed
// because it does not compile, or "".
func (r *run) brokenFor(it Item) string {
	for _, m := range it.Methods { // a method the item grades
		if _, ok := r.broken[m]; ok {
			return m
		}
	}
	for _, u := range it.Uses { // prefer the item's own function
		if _, ok := r.broken[u]; ok {
			return u
		}
	}
	var names []string // else the first, by name, that it reaches
	for _, u := range it.Uses {
		for f := range r.pkg.reach(u, nil) {
			if _, ok := r.broken[f]; ok {
				names = append(names, f)
			}
		}
	}
	if len(names) == 0 {
		return ""
	}
	return slices.Min(names)
}

// harnessTmpl is the student process's main: the student's package and
// the harness, nothing else of the checker (see nnkit/checker/harness).
var harnessTmpl = template.Must(template.New("harness").Parse(`// Generated by nnkit/checker for this build only: the student process
// answers the checker's calls with the student's well-formed graded
// functions.

package main

import (
	"nnkit/checker/harness"
	{{if .Funcs}}student{{else}}_{{end}} "{{.Import}}"
)

func main() {
	harness.Serve(map[string]any{
{{- range .Funcs}}
		"{{.}}": student.{{.}},
{{- end}}
	})
}
`))

// build writes the overlay and compiles the student program: the
// student's package at the virtual import path and the generated main
// beside it. It returns "" when the package cannot be compiled at all
// (every item is then settled).
func (r *run) build(ctx context.Context) (string, error) {
	prog := &launch.Program{Root: r.opt.Root, Dir: virtualBase, Go: r.opt.Go, Work: r.tmp, Static: true}
	r.prog = prog
	r.vdir = prog.VirtualDir(r.task.Name)
	importPath := prog.ImportPath(r.task.Name)
	r.broken = map[string]compileError{}
	sources := map[string][]byte{}
	for name, f := range r.pkg.files {
		sources[name] = f.src
	}
	if err := r.stubRuleBreakers(sources); err != nil {
		r.failAll("the checker could not set aside the code the rules refuse: " + err.Error())
		return "", nil
	}
	bin := filepath.Join(r.tmp, r.task.Name+".student")
	for round := 0; ; round++ {
		var funcs []string
		for _, f := range r.task.Funcs() {
			if r.bound[f] {
				funcs = append(funcs, f)
			}
		}
		var b bytes.Buffer
		if err := harnessTmpl.Execute(&b, map[string]any{"Import": importPath, "Funcs": funcs}); err != nil {
			return "", err
		}
		built, err := withRedirects(r.task, r.pkg.name, sources, r.redirectable())
		if err != nil {
			return "", err
		}
		prog.Main = b.Bytes()
		prog.Packages = map[string]map[string][]byte{r.task.Name: built}
		r.logf("building %s from %s", r.task.Name, r.pkg.dir)
		done := func() {}
		if round == 0 {
			done = r.sayIfSlow(fmt.Sprintf("check: building %s from %s (a first build may compile the packages it imports: up to a minute)...", r.task.Name, r.shown))
		}
		out, err := prog.Build(ctx, bin)
		done()
		if err == nil {
			deps, err := prog.Deps(ctx)
			if err != nil {
				return "", err
			}
			var bad []string
			for _, d := range deps {
				if !studentLinkAllowed(d, importPath, prog.MainPath()) {
					bad = append(bad, d)
				}
			}
			if len(bad) > 0 {
				r.failAll(fmt.Sprintf("the student program would link %s, which a student's code may not reach (only the engine, data, gonum and the standard library)", strings.Join(bad, ", ")))
				return "", nil
			}
			return bin, nil
		}
		if !errors.Is(err, launch.ErrCompile) {
			return "", err
		}
		errs := r.compileErrors(string(out))
		if len(errs) == 0 || round >= 4 {
			r.buildFailed(r.compilerOutput(out), "the package does not build")
			return "", nil
		}
		stub := map[string]map[string]bool{} // file -> funcs
		for _, e := range errs {
			fn := r.enclosingFunc(e.file, e.line)
			if m := unusedImportRE.FindStringSubmatch(e.msg); m != nil && fn == "" {
				// Blank the import and say so: the package does not
				// compile as it is, but nothing else is wrong with it.
				if src, ok := blankImport(sources[e.file], e.line, m[1]); ok {
					sources[e.file] = src
					r.notes = append(r.notes, Result{Task: r.task.Name, Item: buildItem, Status: BuildFailed,
						Reason: fmt.Sprintf("%s: %s: remove it, Go does not build the package as it is (graded without it)", r.where(e), e.msg)})
					continue
				}
			}
			if stub[e.file][fn] {
				continue // another error in a function stubbed this round
			}
			if _, again := r.broken[fn]; fn == "" || again {
				r.buildFailed(r.compilerOutput(out), fmt.Sprintf("%s does not compile, outside the graded function bodies: the whole package fails to build, fix it first", r.where(e)))
				return "", nil
			}
			r.broken[fn] = e
			if stub[e.file] == nil {
				stub[e.file] = map[string]bool{}
			}
			stub[e.file][fn] = true
		}
		for file, names := range stub {
			src, err := gen.StubFuncs(file, sources[file], names, "// stubbed by the checker: does not compile")
			if err != nil {
				r.failAll("does not compile, and the checker could not isolate the error: " + err.Error())
				return "", nil
			}
			sources[file] = src
			for fn := range names {
				delete(r.bound, fn)
			}
		}
	}
}

// studentLinkAllowed says whether a student program may link package p:
// the standard library, the student's package pkg and the generated main
// mainPkg, the harness and its protocol, the
// engine (tensor, nn, optim and their internal kernels), data, progress,
// spec (the tasks' signatures and settings) and the third-party modules
// those use. Not the checker, the solutions,
// the fixtures or the conceptual answers.
func studentLinkAllowed(p, pkg, mainPkg string) bool {
	first, _, _ := strings.Cut(p, "/")
	switch {
	case !strings.Contains(first, ".") && first != launch.Module:
		return true // the standard library
	case p == pkg || p == mainPkg:
		return true
	}
	for _, prefix := range []string{"gonum.org/v1/gonum/", "golang.org/x/sys/", "nnkit/tensor/", "nnkit/data/internal/"} {
		if strings.HasPrefix(p, prefix) {
			return true
		}
	}
	return slices.Contains([]string{"github.com/mattn/go-isatty", "nnkit/tensor",
		"nnkit/nn", "nnkit/optim", "nnkit/data", "nnkit/progress", "nnkit/spec", "nnkit/checker/wire", "nnkit/checker/harness"}, p)
}

// redirectable lists the graded functions declared with their exact
// signatures that still compile: each gets a wrapper (see redirect.go),
// even when its own item is settled, so that the other items that call
// it get the reference's answers.
func (r *run) redirectable() []string {
	var out []string
	for _, name := range r.task.Funcs() {
		fn := r.pkg.funcs[name]
		if _, broken := r.broken[name]; fn == nil || broken {
			continue
		}
		if canonAST(fn.decl.Type, fn.file.imports) == canonReflect(r.task.FuncType(name)) {
			out = append(out, name)
		}
	}
	return out
}

// stubRuleBreakers stubs out, in sources, the declarations that use
// what the rules forbid (their imports left unused become blank).
func (r *run) stubRuleBreakers(sources map[string][]byte) error {
	byFile := map[string]map[string]bool{}
	for _, name := range r.ruleStubs {
		fn := r.pkg.funcs[name]
		if fn == nil {
			fn = r.pkg.methods[name]
		}
		if fn == nil {
			continue
		}
		if byFile[fn.file.name] == nil {
			byFile[fn.file.name] = map[string]bool{}
		}
		byFile[fn.file.name][name] = true
	}
	for file, names := range byFile {
		src, err := gen.StubFuncs(file, sources[file], names, "// stubbed by the checker: breaks the task's rules")
		if err != nil {
			return err
		}
		sources[file] = src
	}
	return nil
}

var unusedImportRE = regexp.MustCompile(`^"([^"]+)" imported (?:as \w+ )?and not used`)

// blankImport turns the import of path on line (1-based) into a blank
// import, keeping every line where it was.
func blankImport(src []byte, line int, path string) ([]byte, bool) {
	lines := strings.SplitAfter(string(src), "\n")
	if line < 1 || line > len(lines) {
		return nil, false
	}
	l := lines[line-1]
	q := strconv.Quote(path)
	i := strings.Index(l, q)
	if i < 0 {
		return nil, false
	}
	head := strings.TrimRight(l[:i], " \t")
	// Drop a name before the path ("m" in `m "gonum.org/v1/gonum/mat"`).
	if fields := strings.Fields(head); len(fields) > 0 {
		if last := fields[len(fields)-1]; last != "import" && last != "(" {
			head = strings.TrimRight(strings.TrimSuffix(head, last), " \t")
		}
	}
	if head != "" {
		head += " "
	}
	lines[line-1] = head + "_ " + l[i:]
	return []byte(strings.Join(lines, "")), true
}

type compileError struct {
	file string
	line int
	msg  string
}

var compileErrRE = regexp.MustCompile(`(?m)^(?:\./)?(\S+\.go):(\d+):(?:\d+:)? (.*)$`)

// compileErrors picks the errors located in the student's files.
func (r *run) compileErrors(out string) []compileError {
	var errs []compileError
	for _, m := range compileErrRE.FindAllStringSubmatch(out, -1) {
		base := filepath.Base(m[1])
		if _, ok := r.pkg.files[base]; !ok {
			continue
		}
		line, _ := strconv.Atoi(m[2])
		errs = append(errs, compileError{file: base, line: line, msg: m[3]})
	}
	return errs
}

// enclosingFunc names the function around file:line: "F" for a
// package-level function, "T.M" for a method that an item grades (see
// Item.Methods), or "" outside both. A compile error in a method no item
// grades fails the whole package, as one outside any function does: the
// checker cannot tell which items depend on it.
func (r *run) enclosingFunc(file string, line int) string {
	in := func(fn *funcDecl) bool {
		if fn.file.name != file || fn.decl.Body == nil {
			return false
		}
		start := r.pkg.fset.Position(fn.decl.Pos()).Line
		end := r.pkg.fset.Position(fn.decl.End()).Line
		return line >= start && line <= end
	}
	for _, fn := range r.pkg.funcs {
		if in(fn) {
			return fn.name
		}
	}
	for _, fn := range r.pkg.methods {
		if in(fn) && r.gradedMethod(fn.name) {
			return fn.name
		}
	}
	return ""
}

// gradedMethod reports whether an item grades the method "T.M".
func (r *run) gradedMethod(name string) bool {
	for _, it := range r.task.Items {
		if slices.Contains(it.Methods, name) {
			return true
		}
	}
	return false
}

func (r *run) failAll(reason string) {
	for _, it := range r.task.Items {
		r.settle(it, BuildFailed, reason)
	}
}

// buildItem names the report's row for what the compiler said.
const buildItem = "(build)"

// buildFailed reports a package that does not build at all: the
// compiler's messages once, in a (build) row shown first, and every
// item a short pointer to it (why says what went wrong, in a few words).
func (r *run) buildFailed(messages, why string) {
	r.notes = append(r.notes, Result{Task: r.task.Name, Item: buildItem, Status: BuildFailed, Reason: messages})
	r.failAll(why + " (the compiler's messages are in the " + buildItem + " row above)")
}

// maxCompilerLines is how much of the compiler's output a report keeps
// (the go command stops at ten errors).
const maxCompilerLines = 12

// compilerOutput is the go command's output as the student should read
// it: the student's own paths (see shownDir), the checker's renames
// undone, no "# package" lines, at most maxCompilerLines lines.
func (r *run) compilerOutput(out string) string {
	out = strings.ReplaceAll(out, ownPrefix, "")
	if r.prog != nil {
		out = r.prog.Unvirtual(out, map[string]string{r.task.Name: r.shown})
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l = strings.TrimRight(l, " \t\r"); l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if len(lines) == maxCompilerLines {
			lines = append(lines, "...")
			break
		}
		lines = append(lines, studentText(l, maxStudentLine, false))
	}
	if len(lines) == 0 {
		return "the go command failed without a message"
	}
	return strings.Join(lines, "\n")
}

// shownDir is how a report names the student's folder dir: relative to
// the directory check runs in, where the student stands, as the go
// command names files (exercises/task1/task1.go:56:41), or absolute
// when that is shorter.
func shownDir(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return dir
	}
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, abs); err == nil && len(rel) < len(abs) {
			return rel
		}
	}
	return abs
}

// shownPath puts the student's folder before a message that starts with
// one of the package's file names ("task1.go:5:3: ...").
func (r *run) shownPath(msg string) string {
	if r.shown == "" || r.shown == "." {
		return msg
	}
	return filepath.Join(r.shown, msg)
}

// where is a compile error's place as the student finds it.
func (r *run) where(e compileError) string {
	return fmt.Sprintf("%s:%d", r.shownPath(e.file), e.line)
}

// defaultSlowBuild is how long a build runs before Options.Progress
// hears of it: a warm build takes less, a first one a minute or more.
const defaultSlowBuild = time.Second

// sayIfSlow tells Options.Progress msg when the step it starts is still
// running after slowBuild, and how long it took when it ends; it
// returns the function that ends the step.
func (r *run) sayIfSlow(msg string) (done func()) {
	w := r.opt.Progress
	if w == nil {
		return func() {}
	}
	delay := r.opt.slowBuild
	if delay == 0 {
		delay = defaultSlowBuild
	}
	start := time.Now()
	var mu sync.Mutex
	said, ended := false, false
	say := func() {
		mu.Lock()
		defer mu.Unlock()
		if !ended {
			said = true
			fmt.Fprintln(w, msg)
		}
	}
	var timer *time.Timer
	if delay < 0 {
		say()
	} else {
		timer = time.AfterFunc(delay, say)
	}
	return func() {
		if timer != nil {
			timer.Stop()
		}
		mu.Lock()
		defer mu.Unlock()
		ended = true
		if said {
			fmt.Fprintf(w, "check: built %s in %s\n", r.task.Name, time.Since(start).Round(time.Second))
		}
	}
}

// unvirtual turns paths in the virtual directory back into base names.
func (r *run) unvirtual(s string) string {
	s = strings.ReplaceAll(s, ownPrefix, "")
	if r.prog == nil {
		return s
	}
	return r.prog.Unvirtual(s, map[string]string{r.task.Name: ""})
}

func firstLine(s string) string {
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			return l
		}
	}
	return strings.TrimSpace(s)
}
