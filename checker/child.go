package checker

import (
	"context"
	"fmt"
	"nnkit/nn"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"
)

// runItem starts a student process, runs the item's check here against
// it, and stops it. Whatever the process does (crash, exit, loop, lie)
// costs the item only; the score is the check's, computed here.
func (r *run) runItem(ctx context.Context, bin string, it Item) Result {
	r.logf("running %s %s", r.task.Name, it.Name)
	fail := func(st Status, reason, details string) Result {
		return Result{Task: r.task.Name, Item: it.Name, Max: it.Points, Status: st, Reason: reason, Details: details}
	}
	work, err := os.MkdirTemp(r.tmp, "item-")
	if err != nil {
		return fail(Fail, "checker error: "+err.Error(), "")
	}
	// Gone before the next item starts: no item's process leaves
	// anything for another's.
	defer os.RemoveAll(work)
	if r.unstartable != nil {
		// The program never answered for an earlier item (init loops,
		// exits or crashes): it will not answer for this one either.
		res := *r.unstartable
		res.Item, res.Max, res.Details = it.Name, it.Points, ""
		return res
	}
	itemMu.Lock()
	defer itemMu.Unlock()
	ictx, cancel := context.WithTimeout(ctx, r.opt.Timeout)
	defer cancel()
	p, err := startStudent(ictx, bin, work, studentEnv(work), r.opt)
	if err != nil {
		return fail(Fail, "checker error: "+err.Error(), "")
	}
	defer p.stop()
	r.containment = p.containment
	helloDone := false
	res := r.task.runItem(it.Name, r.vdir, func(c *Ctx) any {
		p.hello()
		helloDone = true
		c.install = p.install
		return p.bind(r.task, r.bound)
	}, func(g studentGone) Result {
		output := r.unvirtual(p.output.String())
		switch {
		case ctx.Err() != nil:
			return fail(Fail, "interrupted", "")
		case g.timedOut:
			return fail(TimedOut, fmt.Sprintf("did not finish in %v: an endless loop, or far too much work?", r.opt.Timeout), outputDetails(output))
		case !g.crashed:
			return fail(Fail, g.reason, outputDetails(output))
		}
		if m := panicRE.FindStringSubmatch(output); m != nil {
			reason := "crashed: panic: " + m[1]
			if loc := studentFrame(p.output.String(), r.vdir); loc != "" {
				reason += " at " + loc
			}
			return fail(Panicked, reason+" (in a goroutine the checker cannot recover)", outputDetails(output))
		}
		if m := fatalRE.FindStringSubmatch(output); m != nil {
			return fail(Panicked, "crashed: fatal error: "+m[1], outputDetails(output))
		}
		return fail(Fail, fmt.Sprintf("exited (status %d) before the check finished: does the code call os.Exit or log.Fatal?", p.exitCode()), outputDetails(output))
	})
	if !helloDone && ctx.Err() == nil {
		res.Reason = "the program did not start: " + res.Reason + " (before any graded function ran: look at init functions and package-level variables)"
		r.unstartable = &res
	}
	if res.Status != Pass && p.output.n > len(p.output.b) {
		res.Details += fmt.Sprintf("\n(the code printed %d bytes)\n", p.output.n)
	}
	if out := r.unvirtual(p.output.String()); out != "" && res.Status != Pass && !strings.Contains(res.Details, "output:\n") {
		res.Details += "\n" + outputDetails(out)
	}
	return res
}

// studentEnv is the whole environment of a student process: a home and a
// temporary folder of its own, and the Go runtime's settings. Nothing of
// the checker's (the input seed above all) is passed on.
func studentEnv(work string) []string {
	env := []string{"HOME=" + work, "TMPDIR=" + work, "PATH=/usr/local/bin:/usr/bin:/bin"}
	for _, k := range []string{"GOMAXPROCS", "GOMEMLIMIT", "GOGC", "GOTRACEBACK"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

var (
	panicRE = regexp.MustCompile(`(?m)^panic: (.*)$`)
	fatalRE = regexp.MustCompile(`(?m)^fatal error: (.*)$`)
)

func outputDetails(s string) string {
	if s == "" {
		return ""
	}
	return "output:\n" + s
}

// capWriter keeps the first max bytes written and counts the rest.
type capWriter struct {
	mu  sync.Mutex
	max int
	b   []byte
	n   int
}

func (w *capWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.n += len(p)
	if room := w.max - len(w.b); room > 0 {
		w.b = append(w.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (w *capWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := studentText(string(w.b), w.max, true)
	if w.n > len(w.b) {
		s += fmt.Sprintf("\n... (%d more bytes of output not shown)\n", w.n-len(w.b))
	}
	return s
}

// RunItem grades one item in this process on the functions in student
// (a pointer to the task's funcs struct; nil fields are missing
// functions). A panic is recovered and reported with the first line of
// the student's code on the stack; srcDir is the student package's
// directory as compiled ("" matches any file outside the checker and the
// Go runtime). Check runs every item this way, with student's functions
// standing for the ones in a student process.
func (t *Task) RunItem(name string, student any, srcDir string) Result {
	return t.runItem(name, srcDir, func(*Ctx) any { return student }, func(g studentGone) Result {
		return Result{Task: t.Name, Item: name, Status: Fail, Reason: "checker error: " + g.reason}
	})
}

// runItem runs the item's check on the functions setup returns (it is
// called inside the recover, as talking to a student process may fail,
// and may give the Ctx what the process offers besides calls); gone
// turns a student process that failed the protocol into the result.
func (t *Task) runItem(name, srcDir string, setup func(*Ctx) any, gone func(studentGone) Result) (res Result) {
	var it *Item
	for i := range t.Items {
		if t.Items[i].Name == name {
			it = &t.Items[i]
		}
	}
	if it == nil {
		return Result{Task: t.Name, Item: name, Status: Fail, Reason: "checker error: no such item"}
	}
	c := newCtx(it.Points)
	// Every item starts from the engine's initial layer generator, as if
	// it ran in a fresh process: the items of a package run one after
	// another in this one, and the fixtures record each item on its own.
	nn.Seed(0)
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		if g, ok := v.(studentGone); ok {
			res = gone(g)
			res.Task, res.Item, res.Max = t.Name, name, it.Points
			return
		}
		stack := string(debug.Stack())
		msg := fmt.Sprint(v)
		if sp, ok := v.(studentPanic); ok {
			stack, msg = sp.stack, sp.msg
		}
		reason := "panic: " + msg
		if loc := studentFrame(stack, srcDir); loc != "" {
			reason += " at " + loc
		}
		if len(c.reasons) > 0 {
			reason += " (after: " + strings.Join(c.reasons, "; ") + ")"
		}
		res = Result{Task: t.Name, Item: name, Max: it.Points, Status: Panicked, Reason: reason, Details: c.details.String() + "\n" + stack}
	}()
	funcs := setup(c)
	sv := valueOfFuncs(funcs)
	for _, u := range it.Uses {
		if sv.FieldByName(u).IsNil() {
			return Result{Task: t.Name, Item: name, Max: it.Points, Status: NotDone, Reason: "missing: " + u + " is not bound"}
		}
	}
	it.check(c, funcs, t.ref)
	res = c.result(t.Name, *it)
	res.Score = min(max(res.Score, 0), it.Points)
	return res
}

// frameRE matches a stack frame's function line and its file line.
var frameRE = regexp.MustCompile(`(?m)^(\S+)\(.*\)\n\t(\S+\.go):(\d+)`)

// studentFrame finds the first frame of the student's code after the
// panic in a goroutine stack trace, as "file.go:42 (in Func)".
func studentFrame(stack, dir string) string {
	if i := strings.Index(stack, "panic("); i >= 0 {
		stack = stack[i:]
	}
	for _, m := range frameRE.FindAllStringSubmatch(stack, -1) {
		fn, file, line := m[1], m[2], m[3]
		if filepath.Base(file) == redirectFile {
			continue
		}
		fn = strings.ReplaceAll(fn, ownPrefix, "")
		if dir != "" && !strings.HasPrefix(file, dir+string(filepath.Separator)) ||
			dir == "" && !strings.Contains(fn, "/"+virtualBase+"/") {
			continue
		}
		short := fn[strings.LastIndex(fn, "/")+1:]
		if _, after, ok := strings.Cut(short, "."); ok {
			short = after
		}
		return fmt.Sprintf("%s:%s (in %s)", filepath.Base(file), line, sourceFuncName(short))
	}
	return ""
}
