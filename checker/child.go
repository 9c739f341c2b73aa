package checker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"
)

// runItem runs one item in a child process of the test binary and reads
// its result. A crash, os.Exit, a time-out or a bad result file costs the
// item only.
func (r *run) runItem(ctx context.Context, bin string, it Item) Result {
	r.logf("running %s %s", r.task.Name, it.Name)
	fail := func(st Status, reason, details string) Result {
		return Result{Task: r.task.Name, Item: it.Name, Max: it.Points, Status: st, Reason: reason, Details: details}
	}
	work, err := os.MkdirTemp(r.tmp, "item-")
	if err != nil {
		return fail(Fail, "checker error: "+err.Error(), "")
	}
	outFile := filepath.Join(work, "result.json")
	ictx, cancel := context.WithTimeout(ctx, r.opt.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ictx, bin)
	cmd.Dir = work
	cmd.Env = append(os.Environ(), envItem+"="+it.Name, envOut+"="+outFile, envPkgDir+"="+r.vdir)
	out := &capWriter{max: r.opt.OutputCap}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = 2 * r.opt.Timeout
	err = cmd.Run()
	raw := out.String()
	output := r.unvirtual(raw)
	if ictx.Err() == context.DeadlineExceeded && ctx.Err() == nil {
		return fail(TimedOut, fmt.Sprintf("did not finish in %v: an endless loop, or far too much work?", r.opt.Timeout), outputDetails(output))
	}
	if ctx.Err() != nil {
		return fail(Fail, "interrupted", "")
	}
	b, rerr := os.ReadFile(outFile)
	if err != nil || rerr != nil {
		var ee *exec.ExitError
		code := -1
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		}
		if m := panicRE.FindStringSubmatch(output); m != nil {
			reason := "crashed: panic: " + m[1]
			if loc := studentFrame(raw, r.vdir); loc != "" {
				reason += " at " + loc
			}
			return fail(Panicked, reason+" (in a goroutine the checker cannot recover)", outputDetails(output))
		}
		if m := fatalRE.FindStringSubmatch(output); m != nil {
			return fail(Panicked, "crashed: fatal error: "+m[1], outputDetails(output))
		}
		return fail(Fail, fmt.Sprintf("exited (status %d) before the check finished: does the code call os.Exit or log.Fatal?", code), outputDetails(output))
	}
	var res Result
	if err := json.Unmarshal(b, &res); err != nil {
		return fail(Fail, "checker error: bad result: "+err.Error(), outputDetails(output))
	}
	res.Task, res.Item, res.Max = r.task.Name, it.Name, it.Points
	res.Score = min(max(res.Score, 0), it.Points)
	if res.Status != Pass && out.n > 0 && out.n > len(out.b) {
		res.Details += fmt.Sprintf("\n(the code printed %d bytes)\n", out.n)
	}
	return res
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
	s := string(w.b)
	if w.n > len(w.b) {
		s += fmt.Sprintf("\n... (%d more bytes of output not shown)\n", w.n-len(w.b))
	}
	return s
}

// ChildMain is the TestMain of the generated binding file. Started by
// Check with an item named in the environment, it runs that item on the
// student's functions in funcs (a pointer to the task's funcs struct),
// writes the Result and returns the exit status. Without the
// environment it runs the (empty) tests as usual.
func ChildMain(m interface{ Run() int }, task string, funcs any) int {
	item, out, dir := os.Getenv(envItem), os.Getenv(envOut), os.Getenv(envPkgDir)
	if item == "" {
		return m.Run()
	}
	os.Unsetenv(envItem)
	os.Unsetenv(envOut)
	t := LookupTask(task)
	if t == nil {
		fmt.Fprintf(os.Stderr, "checker: no task %q\n", task)
		return 3
	}
	res := t.RunItem(item, funcs, dir)
	b, err := json.Marshal(res)
	if err == nil {
		err = os.WriteFile(out, b, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "checker:", err)
		return 3
	}
	return 0
}

// RunItem grades one item in this process: student is a pointer to the
// task's funcs struct (nil fields are missing functions). A panic is
// recovered and reported with the first line of the student's code on
// the stack; srcDir is the student's package directory as compiled
// ("" matches any file outside the checker and the Go runtime).
func (t *Task) RunItem(name string, student any, srcDir string) (res Result) {
	var it *Item
	for i := range t.Items {
		if t.Items[i].Name == name {
			it = &t.Items[i]
		}
	}
	if it == nil {
		return Result{Task: t.Name, Item: name, Status: Fail, Reason: "checker error: no such item"}
	}
	sv := valueOfFuncs(student)
	for _, u := range it.Uses {
		if sv.FieldByName(u).IsNil() {
			return Result{Task: t.Name, Item: name, Max: it.Points, Status: NotDone, Reason: "missing: " + u + " is not bound"}
		}
	}
	c := newCtx(it.Points)
	defer func() {
		if v := recover(); v != nil {
			stack := string(debug.Stack())
			reason := fmt.Sprintf("panic: %v", v)
			if loc := studentFrame(stack, srcDir); loc != "" {
				reason += " at " + loc
			}
			if len(c.reasons) > 0 {
				reason += " (after: " + strings.Join(c.reasons, "; ") + ")"
			}
			res = Result{Task: t.Name, Item: name, Max: it.Points, Status: Panicked, Reason: reason, Details: c.details.String() + "\n" + stack}
		}
	}()
	it.check(c, student, t.ref)
	return c.result(t.Name, *it)
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
		if dir != "" && !strings.HasPrefix(file, dir+string(filepath.Separator)) ||
			dir == "" && !strings.Contains(fn, "/"+virtualBase+"/") {
			continue
		}
		short := fn[strings.LastIndex(fn, "/")+1:]
		if _, after, ok := strings.Cut(short, "."); ok {
			short = after
		}
		return fmt.Sprintf("%s:%s (in %s)", filepath.Base(file), line, short)
	}
	return ""
}
