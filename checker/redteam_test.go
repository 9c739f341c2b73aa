package checker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"nnkit/checker/internal/hostile"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode"

	"gonum.org/v1/gonum/mat"

	"nnkit/checker/wire"
	"nnkit/nn"
)

// Red-team cases that the hostile corpus cannot run in its own process,
// because today they hang or kill the checker that runs them (and with it
// the whole test binary): testdata/hostile/isolated/CASE.txt, in the
// corpus's format (see hostile_test.go) plus these header lines:
//
//	deadline: 60s              Check must return within this (default 60s):
//	                           longer is a hang of the checker itself
//	max-parent-rss: 600MiB     the checker's own peak resident memory
//	                           (VmHWM) must stay below this
//	clean-report: true         the rendered report (-v) must hold no
//	                           control characters from the student
//	max-report-bytes: 1MiB     the rendered report (-v) and results.json
//	                           must stay below this
//
// Each case runs in a child copy of this test binary
// (TestRedteamChild), so that a crash or a hang is reported as a
// failure of that case instead of taking the other tests down. A case
// that passes here can move up into testdata/hostile once fixed.

const redteamCaseEnv = "NNKIT_REDTEAM_CASE"

type isolatedHeader struct {
	deadline    time.Duration
	maxRSS      int64 // bytes; 0: not checked
	cleanReport bool
	maxReport   int64 // bytes of rendered report or results.json; 0: not checked
}

func parseIsolatedHeader(t *testing.T, path string) isolatedHeader {
	t.Helper()
	h := isolatedHeader{deadline: 60 * time.Second}
	hc, err := hostile.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	for key, values := range hc.Header {
		rest := values[0]
		switch key {
		case "deadline":
			if h.deadline, err = time.ParseDuration(rest); err != nil {
				t.Fatal(err)
			}
		case "max-parent-rss", "max-report-bytes":
			n, unit := rest, int64(1)
			for suffix, u := range map[string]int64{"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30} {
				if s, ok := strings.CutSuffix(rest, suffix); ok {
					n, unit = s, u
				}
			}
			v, err := strconv.ParseInt(strings.TrimSpace(n), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			if key == "max-parent-rss" {
				h.maxRSS = v * unit
			} else {
				h.maxReport = v * unit
			}
		case "clean-report":
			h.cleanReport = rest == "true"
		}
	}
	return h
}

var (
	vmhwmRE    = regexp.MustCompile(`REDTEAM-VMHWM: (\d+)`)
	crashLines = regexp.MustCompile(`(?m)^(fatal error: .*|runtime: .*|panic: .*|signal: .*)$`)
	frameLine  = regexp.MustCompile(`(?m)^(nnkit/\S+)\(`)
)

// crashFrames lists the first distinct functions of the kit on the
// crash's stacks, where it happened.
func crashFrames(text string) string {
	if i := strings.Index(text, "fatal error:"); i >= 0 {
		text = text[i:]
	}
	var seen []string
	for _, m := range frameLine.FindAllStringSubmatch(text, -1) {
		if !slices.Contains(seen, m[1]) {
			seen = append(seen, m[1])
		}
	}
	return firstLines(seen, 8)
}

func TestRedteamIsolated(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a student program per case")
	}
	if os.Getenv(redteamCaseEnv) != "" {
		t.Skip("in a child")
	}
	paths, _ := filepath.Glob(filepath.Join("testdata", "hostile", "isolated", "*.txt"))
	if len(paths) == 0 {
		t.Skip("no isolated cases")
	}
	// The children dump every goroutine when a hang is stopped (SIGQUIT,
	// traceback "crash"): no core files.
	syscall.Setrlimit(syscall.RLIMIT_CORE, &syscall.Rlimit{})
	for _, path := range paths {
		name := strings.TrimSuffix(filepath.Base(path), ".txt")
		t.Run(name, func(t *testing.T) {
			h := parseIsolatedHeader(t, path)
			ctx, cancel := context.WithTimeout(context.Background(), h.deadline)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestRedteamChild$", "-test.v", "-test.count=1", "-test.timeout=0")
			cmd.Env = append(os.Environ(), redteamCaseEnv+"="+path)
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			cmd.Cancel = func() error {
				// A goroutine dump first, to show where the checker hangs.
				syscall.Kill(cmd.Process.Pid, syscall.SIGQUIT)
				time.AfterFunc(3*time.Second, func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
				return nil
			}
			cmd.WaitDelay = 5 * time.Second
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			start := time.Now()
			err := cmd.Run()
			took := time.Since(start)
			text := out.String()
			var ee *exec.ExitError
			switch {
			case ctx.Err() != nil:
				t.Errorf("HANG: the checker did not return within %v (the case's per-item timeout is far shorter); killed. The item's goroutine was in:\n%s", h.deadline, hungFrames(text))
				return
			case errors.As(err, &ee) && !ee.Exited():
				t.Errorf("CRASH: the checker process was killed by %v after %v:\n%s\n(in:)\n%s", ee.ProcessState, took.Round(time.Second), firstLines(crashLines.FindAllString(text, -1), 6), crashFrames(text))
				return
			case crashLines.MatchString(text) && !strings.Contains(text, "--- PASS: TestRedteamChild"):
				t.Errorf("CRASH: the checker process died after %v:\n%s\n(first lines of the crash:)\n%s\n(in:)\n%s", took.Round(time.Second), ee, firstLines(crashLines.FindAllString(text, -1), 6), crashFrames(text))
				return
			case err != nil:
				t.Errorf("the case's expectations failed (after %v):\n%s", took.Round(time.Second), failures(text))
			}
			if m := vmhwmRE.FindStringSubmatch(text); h.maxRSS > 0 && m != nil {
				rss, _ := strconv.ParseInt(m[1], 10, 64)
				if rss > h.maxRSS {
					t.Errorf("MEMORY: the checker's own peak resident memory reached %d MiB (limit %d MiB)", rss>>20, h.maxRSS>>20)
				} else {
					t.Logf("the checker's peak resident memory: %d MiB", rss>>20)
				}
			}
			t.Logf("took %v", took.Round(time.Millisecond))
		})
	}
}

// hungFrames lists the kit's functions on the stack of the goroutine
// that runs the item, from a SIGQUIT dump.
func hungFrames(text string) string {
	for _, g := range strings.Split(text, "\n\ngoroutine ") {
		if strings.Contains(g, "(*Task).runItem") {
			return crashFrames(g)
		}
	}
	return "(no goroutine dump)"
}

// failures picks the child's failure lines (and what it measured) out of
// its output, each cut to a readable length.
func failures(text string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		t := strings.TrimSpace(l)
		if failLine.MatchString(t) || strings.HasPrefix(t, "got ") || strings.HasPrefix(t, "REDTEAM-REPORT") {
			if len(t) > 300 {
				t = t[:300] + fmt.Sprintf("... (%d bytes)", len(t))
			}
			out = append(out, t)
		}
	}
	return strings.Join(out, "\n")
}

var failLine = regexp.MustCompile(`^(redteam|hostile)_test\.go:\d+: \S`)

func firstLines(ls []string, n int) string {
	if len(ls) > n {
		ls = ls[:n]
	}
	return strings.Join(ls, "\n")
}

// TestRedteamChild runs one isolated case (see TestRedteamIsolated) in
// this process: only when the parent test sets the case's path.
func TestRedteamChild(t *testing.T) {
	path := os.Getenv(redteamCaseEnv)
	if path == "" {
		t.Skip("run by TestRedteamIsolated")
	}
	// On SIGQUIT (a hang stopped by the parent), show the stacks of the
	// goroutines running on other threads too.
	debug.SetTraceback("crash")
	h := parseIsolatedHeader(t, path)
	c := parseHostile(t, path)
	pkg := c.lay(t, t.TempDir())
	task := LookupTask(filepath.Base(c.base))
	check := func(opt Options) Report {
		rep, err := Check(context.Background(), pkg, opt)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("REDTEAM-CONTAINMENT: %s\n", rep.Containment)
		if h.maxReport > 0 {
			var b, j bytes.Buffer
			start := time.Now()
			_ = rep.Render(&b, true)
			took := time.Since(start)
			_ = rep.WriteGradescope(&j)
			fmt.Printf("REDTEAM-REPORT: rendered %d bytes in %v, results.json %d bytes\n", b.Len(), took, j.Len())
			if n := int64(max(b.Len(), j.Len())); n > h.maxReport {
				t.Errorf("the report holds %d bytes of what the student sent (rendered in %v; limit %d)", n, took.Round(time.Millisecond), h.maxReport)
			}
		}
		if h.cleanReport {
			var b strings.Builder
			_ = rep.Render(&b, true)
			if i := strings.IndexFunc(b.String(), func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }); i >= 0 {
				s := b.String()
				t.Errorf("the report holds a control character %q from the student at byte %d: %q", s[i], i, s[max(0, i-40):min(len(s), i+80)])
			}
		}
		return rep
	}
	rep := check(Options{Timeout: c.timeout})
	c.match(t, "", task, rep, c.wantAll, c.wants)
	if c.unsafe != nil {
		relaxed := *task
		relaxed.Allowed = append(slices.Clone(task.Allowed), c.unsafe...)
		rep := check(Options{Timeout: c.timeout, task: &relaxed})
		c.match(t, "with the rules relaxed: ", task, rep, c.unsafeAll, nil)
		if c.noSurvivor != "" {
			survivors(t, c.noSurvivor)
		}
	}
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
				fmt.Printf("REDTEAM-VMHWM: %d\n", kb<<10)
			}
		}
	}
}

// FuzzRedteamDecode feeds arbitrary frames to the decoder the checker
// runs on every reply, for the types the checker decodes (each task's
// arguments and results, modules of both kinds): the wire package says
// that a malformed frame is an error, never a panic or a huge
// allocation. Run with -fuzz=FuzzRedteamDecode.
func FuzzRedteamDecode(f *testing.F) {
	var types []reflect.Type
	for _, task := range Tasks() {
		for _, name := range task.Funcs() {
			ft := task.FuncType(name)
			for i := range ft.NumIn() {
				types = append(types, ft.In(i))
			}
			for i := range ft.NumOut() {
				types = append(types, ft.Out(i))
			}
		}
	}
	types = append(types, moduleType, tensorType)
	// Seeds: valid encodings of a few values.
	for _, v := range []any{task1Reference.Relu(mat.NewDense(2, 2, []float64{1, -1, 2, -2})), nn.NewSequential(nn.NewLinear(3, 2, false), nn.NewReLU())} {
		e := wire.NewEncoder(0, nil)
		t := reflect.TypeOf(v)
		if _, ok := v.(nn.Module); ok {
			t = moduleType
		}
		if err := e.Value(t, reflect.ValueOf(v)); err == nil {
			for i := range types {
				if types[i] == t {
					f.Add(uint8(i), e.Bytes()[1:])
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, b []byte) {
		typ := types[int(which)%len(types)]
		d := wire.NewDecoder(b, wire.RemotePeer{})
		v := reflect.New(typ).Elem()
		_ = d.Value(v)
	})
}
