//go:build linux

// The tests need Linux: they check namespaces, and find processes in /proc.

package sandbox

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The tests run a probe program inside the sandbox. Each probe command tries
// one thing a hostile student binary might try and prints what happened; the
// tests decide from the output and from the host side whether the attempt
// was contained.
//
// Timeouts in these tests are safety nets for hung probes, never limits on
// how fast anything must be.

const safetyNet = 2 * time.Minute

// parentHelperEnv makes the test binary act as a checker that starts a
// contained process and then dies without cleaning up (TestParentDeath).
const parentHelperEnv = "NNKIT_SANDBOX_TEST_PARENT"

func TestMain(m *testing.M) {
	Main()
	if cfg := os.Getenv(parentHelperEnv); cfg != "" {
		parentHelper(cfg)
		return
	}
	code := m.Run()
	if probe.dir != "" {
		os.RemoveAll(probe.dir)
	}
	os.Exit(code)
}

const probeSource = `package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

func report(err error) {
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	fmt.Println("ok")
}

func main() {
	a := os.Args[1:]
	switch a[0] {
	case "env":
		for _, kv := range os.Environ() {
			fmt.Println(kv)
		}
	case "info":
		var fds []int // inherited descriptors above 2, looked at before opening any
		for fd := 3; fd < 64; fd++ {
			if _, _, e := syscall.RawSyscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_GETFD, 0); e == 0 {
				fds = append(fds, fd)
			}
		}
		var sig int32
		syscall.RawSyscall(syscall.SYS_PRCTL, 2 /* PR_GET_PDEATHSIG */, uintptr(unsafe.Pointer(&sig)), 0)
		capEff := "unreadable"
		if b, err := os.ReadFile("/proc/self/status"); err == nil {
			for _, l := range strings.Split(string(b), "\n") {
				if v, ok := strings.CutPrefix(l, "CapEff:"); ok {
					capEff = strings.TrimSpace(v)
				}
			}
		}
		var procs []string
		ents, _ := os.ReadDir("/proc")
		for _, e := range ents {
			if _, err := strconv.Atoi(e.Name()); err == nil {
				procs = append(procs, e.Name())
			}
		}
		cwd, _ := os.Getwd()
		json.NewEncoder(os.Stdout).Encode(map[string]any{
			"pid": os.Getpid(), "uid": os.Getuid(), "pdeathsig": sig,
			"capeff": capEff, "procs": procs, "cwd": cwd, "fds": fds,
		})
	case "spawn": // spawn PIDFILE TOKEN setsid|group exit|block [MARKER]
		self, _ := os.Executable()
		attr := &syscall.SysProcAttr{Setsid: a[3] == "setsid"}
		pid, err := syscall.ForkExec(self, []string{self, "sleep", a[1], a[2]},
			&syscall.ProcAttr{Env: os.Environ(), Sys: attr})
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		for {
			if b, err := os.ReadFile(a[1]); err == nil && len(b) > 0 {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		fmt.Println("spawned", pid)
		if a[4] == "exit" { // when the test closes stdin
			io.ReadAll(os.Stdin)
		}
		for a[4] == "block" {
			time.Sleep(time.Hour)
		}
	case "sleep": // sleep PIDFILE TOKEN
		os.WriteFile(a[1], []byte(strconv.Itoa(os.Getpid())), 0o644)
		for {
			time.Sleep(time.Hour)
		}
	case "fd3to4": // copies each line from fd 3 to fd 4, upper-cased, then lists its fds
		in, out := os.NewFile(3, "in"), os.NewFile(4, "out")
		sc := bufio.NewScanner(in)
		for sc.Scan() {
			fmt.Fprintln(out, strings.ToUpper(sc.Text()))
		}
		var fds []int
		for fd := 0; fd < 64; fd++ {
			if _, _, e := syscall.RawSyscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_GETFD, 0); e == 0 {
				fds = append(fds, fd)
			}
		}
		fmt.Fprintln(out, fds)
	case "minimal": // what a process in a minimal root sees
		ents, _ := os.ReadDir("/")
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		fmt.Println("root:", names)
		wd, _ := os.Getwd()
		fmt.Println("cwd:", wd)
		fmt.Println("home:", os.Getenv("HOME"))
		if os.WriteFile("/work/written", []byte("x"), 0o644) == nil {
			fmt.Println("write work: ok")
		} else {
			fmt.Println("write work: refused")
		}
		if os.WriteFile("/x", []byte("x"), 0o644) == nil {
			fmt.Println("write root: ok")
		} else {
			fmt.Println("write root: refused")
		}
		if _, err := os.Stat("/etc"); err != nil {
			fmt.Println("etc: missing")
		} else {
			fmt.Println("etc: present")
		}
		if _, err := os.Stat(a[1]); err != nil {
			fmt.Println("binary dir: missing")
		} else {
			fmt.Println("binary dir: present", a[1])
		}
	case "echo": // answers each line, upper-cased, until end of input
		sc := bufio.NewScanner(os.Stdin)
		for sc.Scan() {
			fmt.Println(strings.ToUpper(sc.Text()))
		}
	case "loop":
		fmt.Println("looping")
		for {
			time.Sleep(time.Millisecond)
		}
	case "cpu":
		fmt.Println("looping")
		for n := 0; ; n++ {
		}
	case "dial": // dial NETWORK ADDRESS
		c, err := net.DialTimeout(a[1], a[2], 5*time.Second)
		if err == nil {
			c.Close()
		}
		report(err)
	case "write":
		report(os.WriteFile(a[1], []byte("written by the probe"), 0o644))
	case "symlink": // symlink TARGET LINK
		report(os.Symlink(a[1], a[2]))
	case "mkdir":
		report(os.Mkdir(a[1], 0o755))
	case "read":
		b, err := os.ReadFile(a[1])
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		fmt.Printf("content: %q\n", b)
	case "list":
		ents, err := os.ReadDir(a[1])
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		fmt.Printf("entries: %q\n", names)
	case "alloc":
		n, _ := strconv.Atoi(a[1])
		b := make([]byte, n)
		for i := 0; i < n; i += 4096 {
			b[i] = 1
		}
		fmt.Println("ok")
	case "fsize": // fsize PATH BYTES
		n, _ := strconv.Atoi(a[2])
		report(os.WriteFile(a[1], make([]byte, n), 0o644))
	case "nofile":
		n, _ := strconv.Atoi(a[1])
		for i := 0; i < n; i++ {
			if _, err := os.Open("/dev/null"); err != nil {
				fmt.Println("error:", err)
				return
			}
		}
		fmt.Println("ok")
	case "umount":
		report(syscall.Unmount(a[1], syscall.MNT_DETACH))
	case "remount-rw":
		report(syscall.Mount("", a[1], "", syscall.MS_REMOUNT|syscall.MS_BIND, ""))
	case "nested": // nested umount|remount PATH: in a new user and mount namespace
		// clone(2) by hand: the child has every capability in the new user
		// namespace, runs only raw system calls, and exits with the errno.
		path, _ := syscall.BytePtrFromString(a[2])
		remount := a[1] == "remount"
		runtime.LockOSThread()
		pid, _, errno := syscall.RawSyscall6(syscall.SYS_CLONE,
			syscall.CLONE_NEWUSER|syscall.CLONE_NEWNS|uintptr(syscall.SIGCHLD), 0, 0, 0, 0, 0)
		if errno != 0 {
			fmt.Println("nested error:", errno)
			return
		}
		if pid == 0 {
			nestedChild(path, remount)
		}
		var ws syscall.WaitStatus
		syscall.Wait4(int(pid), &ws, 0, nil)
		if ws.ExitStatus() == 0 {
			fmt.Println(a[1]+":", "succeeded")
		} else {
			fmt.Println(a[1]+":", syscall.Errno(ws.ExitStatus()))
		}
	case "kill-all":
		report(syscall.Kill(-1, syscall.SIGKILL))
	default:
		fmt.Println("unknown probe command", a[0])
		os.Exit(2)
	}
}

//go:nosplit
func nestedChild(path *byte, remount bool) {
	var e syscall.Errno
	if remount {
		_, _, e = syscall.RawSyscall6(syscall.SYS_MOUNT, 0, uintptr(unsafe.Pointer(path)), 0,
			syscall.MS_REMOUNT|syscall.MS_BIND, 0, 0)
	} else {
		_, _, e = syscall.RawSyscall(syscall.SYS_UMOUNT2, uintptr(unsafe.Pointer(path)), syscall.MNT_DETACH, 0)
	}
	syscall.RawSyscall(syscall.SYS_EXIT_GROUP, uintptr(e), 0, 0)
}
`

var probe struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// probePath builds the probe program once, with the go command on PATH.
func probePath(t *testing.T) string {
	t.Helper()
	probe.once.Do(func() {
		probe.dir, probe.err = os.MkdirTemp("", "sandbox-probe-")
		if probe.err != nil {
			return
		}
		src := filepath.Join(probe.dir, "src")
		if probe.err = os.MkdirAll(src, 0o755); probe.err != nil {
			return
		}
		files := map[string]string{"go.mod": "module probe\n\ngo 1.21\n", "main.go": probeSource}
		for name, text := range files {
			if probe.err = os.WriteFile(filepath.Join(src, name), []byte(text), 0o644); probe.err != nil {
				return
			}
		}
		probe.path = filepath.Join(probe.dir, "probe")
		cmd := exec.Command("go", "build", "-o", probe.path, ".")
		cmd.Dir = src
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-buildvcs=false", "GOTOOLCHAIN=local", "GOWORK=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			probe.err = fmt.Errorf("go build of the probe: %v\n%s", err, out)
		}
	})
	if probe.err != nil {
		t.Fatal(probe.err)
	}
	return probe.path
}

// mode is a containment mode under test.
type mode struct {
	name     string
	fallback bool
}

var modes = []mode{{"namespaces", false}, {"fallback", true}}

// use switches Start to m for the rest of the test.
func (m mode) use(t *testing.T) {
	t.Helper()
	if m.fallback {
		testForceFallback = "forced by the test"
		t.Cleanup(func() { testForceFallback = "" })
		return
	}
	if reason := namespacesRefused(); reason != "" {
		t.Skipf("the kernel refuses namespaces here (%s); only the fallback can be tested", reason)
	}
}

var kernelNS struct {
	once   sync.Once
	reason string
}

// namespacesRefused says, independently of the package, whether the kernel
// refuses the namespaces Start asks for ("" if it allows them).
func namespacesRefused() string {
	kernelNS.once.Do(func() {
		cmd := exec.Command("/bin/sh", "-c", "exit 0")
		cmd.SysProcAttr = &syscall.SysProcAttr{
			Cloneflags:  cloneFlags,
			UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}},
			GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}},
		}
		if err := cmd.Run(); err != nil {
			kernelNS.reason = err.Error()
		}
	})
	return kernelNS.reason
}

// result is what one contained probe run produced.
type result struct {
	out, errOut string
	err         error // from Wait
	p           *Process
	dir         string
}

// runProbe runs the probe with args in a fresh work folder, after edit has
// adjusted the spec, and waits for it.
func runProbe(t *testing.T, edit func(*Spec), args ...string) result {
	t.Helper()
	dir := t.TempDir()
	var out, errOut strings.Builder
	spec := Spec{Path: probePath(t), Args: args, Dir: dir, Stdout: &out, Stderr: &errOut}
	if edit != nil {
		edit(&spec)
	}
	ctx, cancel := context.WithTimeout(context.Background(), safetyNet)
	defer cancel()
	p, err := Start(ctx, spec)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	werr := p.Wait()
	return result{out: out.String(), errOut: errOut.String(), err: werr, p: p, dir: dir}
}

// alive reports whether a process whose command line contains token exists
// on the host and is not a zombie. (Inside a PID namespace a process knows
// only its namespace's pid, so the tests find it by a token in its
// arguments.)
func alive(t *testing.T, token string) []int {
	t.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatalf("reading /proc: %v", err)
	}
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !strings.Contains(string(cmdline), token) {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		if i := strings.LastIndexByte(string(stat), ')'); i >= 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
			continue
		}
		pids = append(pids, pid)
	}
	return pids
}

// gone waits (as a safety net only) until no process with token is alive;
// immediate says that none may be alive even at the first look.
func gone(t *testing.T, token string, immediate bool) {
	t.Helper()
	deadline := time.Now().Add(safetyNet)
	for {
		pids := alive(t, token)
		if len(pids) == 0 {
			return
		}
		if immediate || time.Now().After(deadline) {
			for _, pid := range pids {
				_ = syscall.Kill(pid, syscall.SIGKILL) // do not leave them behind
			}
			t.Fatalf("expected no surviving process with token %s, found pids %v", token, pids)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func uniqueToken(t *testing.T) string {
	return fmt.Sprintf("tok-%d-%d", os.Getpid(), time.Now().UnixNano())
}

// startLines starts the probe with stdout on a pipe and returns the process
// and a reader of its lines.
func startLines(t *testing.T, ctx context.Context, edit func(*Spec), args ...string) (*Process, *bufio.Scanner) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	spec := Spec{Path: probePath(t), Args: args, Dir: t.TempDir(), Stdout: w, Stderr: os.Stderr}
	if edit != nil {
		edit(&spec)
	}
	p, err := Start(ctx, spec)
	w.Close()
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { p.Kill(); p.Wait() })
	return p, bufio.NewScanner(r)
}

func expectLine(t *testing.T, sc *bufio.Scanner, prefix string) string {
	t.Helper()
	if !sc.Scan() {
		t.Fatalf("expected a line starting with %q from the probe, found end of output (%v)", prefix, sc.Err())
	}
	if !strings.HasPrefix(sc.Text(), prefix) {
		t.Fatalf("expected a line starting with %q from the probe, found %q", prefix, sc.Text())
	}
	return sc.Text()
}

// TestNoSurvivors: a probe starts a grandchild, then the probe ends in one
// of three ways; afterwards no process it started may be left.
func TestNoSurvivors(t *testing.T) {
	for _, m := range modes {
		for _, group := range []string{"setsid", "group"} {
			for _, end := range []string{"exit", "kill", "cancel"} {
				t.Run(m.name+"/"+group+"/"+end, func(t *testing.T) {
					m.use(t)
					if m.fallback && group == "setsid" {
						t.Skip("documented limitation: in the fallback a process that calls setsid leaves the process group and survives")
					}
					token := uniqueToken(t)
					pidfile := filepath.Join(t.TempDir(), "pid")
					ctx, cancel := context.WithTimeout(context.Background(), safetyNet)
					defer cancel()
					how := "block"
					if end == "exit" {
						how = "exit"
					}
					stdinR, stdinW, err := os.Pipe()
					if err != nil {
						t.Fatal(err)
					}
					defer stdinW.Close()
					p, sc := startLines(t, ctx, func(s *Spec) {
						s.Dir = filepath.Dir(pidfile) // the grandchild writes its pid file here
						s.Stdin = stdinR
					}, "spawn", pidfile, token, group, how)
					stdinR.Close()
					expectLine(t, sc, "spawned")
					if len(alive(t, token)) == 0 {
						t.Fatalf("expected the grandchild (token %s) to be running before the end, found none", token)
					}
					switch end {
					case "exit":
						stdinW.Close()
					case "kill":
						p.Kill()
					case "cancel":
						cancel()
					}
					err = p.Wait()
					if end == "cancel" && !errors.Is(err, context.Canceled) {
						t.Errorf("expected Wait to report context.Canceled, found %v", err)
					}
					gone(t, token, !m.fallback)
				})
			}
		}
	}
}

// TestParentDeath: the checker dies without Kill or Wait (a crash, SIGKILL);
// the contained process must die with it.
func TestParentDeath(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			m.use(t)
			token := uniqueToken(t)
			cfg, _ := json.Marshal(helperConfig{
				Probe: probePath(t), Dir: t.TempDir(), Token: token, Fallback: m.fallback,
			})
			cmd := exec.Command(os.Args[0])
			cmd.Env = append(os.Environ(), parentHelperEnv+"="+string(cfg))
			cmd.Stderr = os.Stderr
			out, err := cmd.Output()
			if err != nil || !strings.Contains(string(out), "ready") {
				t.Fatalf("expected the helper checker to print ready and exit 0, found %q, %v", out, err)
			}
			// Both carry the token; only the student process carries
			// main-token.
			if m.fallback {
				// Pdeathsig reaches the main process only; its group is
				// nobody's to kill once the checker is dead.
				gone(t, "main-"+token, false)
				for _, pid := range alive(t, token) {
					_ = syscall.Kill(pid, syscall.SIGKILL)
				}
				return
			}
			gone(t, token, false)
		})
	}
}

type helperConfig struct {
	Probe, Dir, Token string
	Fallback          bool
}

// parentHelper is the helper checker of TestParentDeath: it starts a probe
// that spawns a grandchild and exits without cleaning up.
func parentHelper(raw string) {
	var cfg helperConfig
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(2)
	}
	if cfg.Fallback {
		testForceFallback = "forced by the test"
	}
	r, w, _ := os.Pipe()
	p, err := Start(context.Background(), Spec{
		Path: cfg.Probe, Dir: cfg.Dir, Stdout: w, Stderr: os.Stderr,
		Args: []string{"spawn", filepath.Join(cfg.Dir, "pid"), cfg.Token, "group", "block", "main-" + cfg.Token},
	})
	w.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(2)
	}
	_ = p
	if line, _ := bufio.NewReader(r).ReadString('\n'); !strings.HasPrefix(line, "spawned") {
		fmt.Fprintf(os.Stderr, "helper: expected spawned, found %q\n", line)
		os.Exit(2)
	}
	fmt.Println("ready")
	os.Exit(0)
}

// TestNetwork: with namespaces nothing is reachable, not even the host's
// loopback, nor a Unix socket in a Hidden folder.
func TestNetwork(t *testing.T) {
	namespaces := modes[0]
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	sockDir := t.TempDir()
	sock := filepath.Join(sockDir, "s")
	uln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer uln.Close()
	cases := []struct {
		name      string
		network   string
		addr      string
		listener  net.Listener
		hideSock  bool
		wantError string
	}{
		{"host loopback", "tcp", ln.Addr().String(), ln, false, "network is unreachable"},
		{"host loopback by name", "tcp", "localhost:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port), ln, false, "error"},
		{"outside address", "tcp", "1.1.1.1:53", nil, false, "network is unreachable"},
		{"udp outside", "udp", "8.8.8.8:53", nil, false, "error"},
		{"unix socket in a Hidden folder", "unix", sock, uln, true, "no such file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			namespaces.use(t)
			r := runProbe(t, func(s *Spec) {
				if c.hideSock {
					s.Hidden = []string{sockDir}
				}
			}, "dial", c.network, c.addr)
			if !strings.Contains(r.out, c.wantError) {
				t.Errorf("expected the dial to fail with %q, found %q (stderr %q)", c.wantError, r.out, r.errOut)
			}
			if c.listener != nil {
				expectNoConnection(t, c.listener)
			}
		})
	}
}

// expectNoConnection checks that nothing is queued on ln; the probe has
// already exited, so a connection it made would be waiting.
func expectNoConnection(t *testing.T, ln net.Listener) {
	t.Helper()
	type deadliner interface{ SetDeadline(time.Time) error }
	ln.(deadliner).SetDeadline(time.Now().Add(200 * time.Millisecond))
	c, err := ln.Accept()
	if err == nil {
		c.Close()
		t.Fatalf("expected no connection on %v, found one from %v", ln.Addr(), c.RemoteAddr())
	}
}

// TestFilesystem: only Dir is writable, ReadOnly stays read-only, Hidden
// shows nothing, and the student's root cannot undo any of it.
func TestFilesystem(t *testing.T) {
	for _, legacy := range []bool{false, true} {
		t.Run(fmt.Sprintf("legacyRemount=%v", legacy), func(t *testing.T) {
			modes[0].use(t)
			testLegacyRemount = legacy
			defer func() { testLegacyRemount = false }()
			testFilesystem(t)
		})
	}
}

func testFilesystem(t *testing.T) {
	roDir := t.TempDir()
	hiddenDir := t.TempDir()
	other := t.TempDir() // neither ReadOnly nor Hidden: read-only all the same
	secret := filepath.Join(hiddenDir, "answers.json")
	hiddenFile := filepath.Join(t.TempDir(), "reference.txt")
	for _, f := range []string{secret, hiddenFile, filepath.Join(roDir, "data.txt")} {
		if err := os.WriteFile(f, []byte("secret"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	edit := func(extra func(s *Spec)) func(s *Spec) {
		return func(s *Spec) {
			input := filepath.Join(s.Dir, "input")
			if err := os.Mkdir(input, 0o755); err != nil {
				t.Fatal(err)
			}
			s.ReadOnly = []string{roDir, input}
			s.Hidden = []string{hiddenDir, hiddenFile}
			if extra != nil {
				extra(s)
			}
		}
	}
	cases := []struct {
		name string
		args func(dir string) []string
		want string // a substring of the probe's output
	}{
		{"write in Dir", func(d string) []string { return []string{"write", filepath.Join(d, "out.txt")} }, "ok"},
		{"write in Dir by relative path", func(string) []string { return []string{"write", "rel.txt"} }, "ok"},
		{"write in ReadOnly", func(string) []string { return []string{"write", filepath.Join(roDir, "x")} }, "read-only file system"},
		{"overwrite in ReadOnly", func(string) []string { return []string{"write", filepath.Join(roDir, "data.txt")} }, "read-only file system"},
		{"write in ReadOnly inside Dir", func(d string) []string { return []string{"write", filepath.Join(d, "input", "x")} }, "read-only file system"},
		{"write outside Dir, not listed", func(string) []string { return []string{"write", filepath.Join(other, "x")} }, "read-only file system"},
		{"write in /tmp", func(string) []string { return []string{"write", "/tmp/sandbox-probe-was-here"} }, "read-only file system"},
		// The checker hides the folders named nnkit-check-* in the host's
		// temporary folder from every student process (other runs'
		// programs and work): a student who could plant one there, or a
		// link named like one to "/", would disturb other students'
		// grading (checker.runDirs).
		{"plant a link to / named like another run's folder", func(string) []string {
			return []string{"symlink", "/", "/tmp/nnkit-check-sandbox-probe"}
		}, "read-only file system"},
		{"plant a folder named like another run's", func(string) []string { return []string{"mkdir", "/tmp/nnkit-check-sandbox-probe"} }, "read-only file system"},
		{"list Hidden", func(string) []string { return []string{"list", hiddenDir} }, "entries: []"},
		{"read in Hidden", func(string) []string { return []string{"read", secret} }, "no such file"},
		{"read Hidden file", func(string) []string { return []string{"read", hiddenFile} }, `content: ""`},
		{"write in Hidden", func(string) []string { return []string{"write", filepath.Join(hiddenDir, "x")} }, "error"},
		{"unmount Hidden", func(string) []string { return []string{"umount", hiddenDir} }, "operation not permitted"},
		{"remount ReadOnly writable", func(string) []string { return []string{"remount-rw", roDir} }, "operation not permitted"},
		{"remount / writable", func(string) []string { return []string{"remount-rw", "/"} }, "operation not permitted"},
		{"unmount Hidden in a nested namespace", func(string) []string { return []string{"nested", "umount", hiddenDir} }, "no space left on device"},
		{"see other processes", func(string) []string { return []string{"info"} }, `"procs":["1"]`},
		{"kill everything", func(string) []string { return []string{"kill-all"} }, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var args []string
			r := runProbe(t, edit(func(s *Spec) { args = c.args(s.Dir); s.Args = args }))
			t.Logf("probe %q: %s%s", args, r.out, r.errOut)
			if !strings.Contains(r.out, c.want) {
				t.Errorf("probe %q: expected output containing %q, found %q (stderr %q)", args, c.want, r.out, r.errOut)
			}
			if strings.Contains(r.out, `content: "secret"`) || strings.Contains(r.out, `"answers.json"`) || strings.Contains(r.out, "/answers.json\n") {
				t.Errorf("probe %q: the hidden file answers.json became visible: %q", args, r.out)
			}
		})
	}
	// Without the max_user_namespaces guard the process gets every
	// capability back in a nested user namespace; the kernel must still
	// refuse to uncover or unlock what the stub set up (locked mounts).
	nested := []struct{ name, op, path, want string }{
		{"unmount Hidden", "umount", hiddenDir, "umount: invalid argument"},
		{"remount ReadOnly writable", "remount", roDir, "remount: operation not permitted"},
		{"remount / writable", "remount", "/", "remount: operation not permitted"},
	}
	for _, c := range nested {
		t.Run(c.name+" in a nested namespace, where the kernel allows one", func(t *testing.T) {
			testNestedUserNS = true
			defer func() { testNestedUserNS = false }()
			r := runProbe(t, edit(func(s *Spec) { s.Args = []string{"nested", c.op, c.path} }))
			t.Logf("probe nested %s %s: %s%s", c.op, c.path, r.out, r.errOut)
			if !strings.Contains(r.out, c.want) {
				t.Errorf("expected %q, found %q (stderr %q)", c.want, r.out, r.errOut)
			}
		})
	}
	for _, p := range []string{"/tmp/sandbox-probe-was-here", "/tmp/nnkit-check-sandbox-probe"} {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("expected %s not to exist on the host, found it", p)
			os.Remove(p)
		}
	}
	for _, d := range []string{roDir, other, hiddenDir} {
		if _, err := os.Stat(filepath.Join(d, "x")); err == nil {
			t.Errorf("expected no file x in %s on the host, found one", d)
		}
	}
	// A grading run hides the other runs' temporary folders, listed just
	// before Start; one may be removed in between (its run ended). Start
	// skips it, the other Hidden paths stay hidden, and the student's
	// item runs: it used to fail with "checker error: ... Hidden path:
	// lstat ...: no such file or directory", a lost item that depended on
	// when another student's grading ended.
	t.Run("a Hidden path removed before Start is skipped", func(t *testing.T) {
		gone := filepath.Join(t.TempDir(), "nnkit-check-ended")
		if err := os.Mkdir(gone, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(gone); err != nil {
			t.Fatal(err)
		}
		r := runProbe(t, edit(func(s *Spec) {
			s.Hidden = append([]string{gone}, s.Hidden...)
			s.Args = []string{"read", secret}
		}))
		if !strings.Contains(r.out, "no such file") {
			t.Errorf("probe read %s beside a vanished Hidden path: expected it hidden (no such file), found %q (stderr %q)", secret, r.out, r.errOut)
		}
	})
	t.Run("Dir is the caller's folder", func(t *testing.T) {
		var dir string
		r := runProbe(t, edit(func(s *Spec) { dir = s.Dir; s.Args = []string{"write", filepath.Join(s.Dir, "out.txt")} }))
		if b, err := os.ReadFile(filepath.Join(dir, "out.txt")); err != nil || string(b) != "written by the probe" {
			t.Errorf("expected out.txt in the host's %s with the probe's text, found %q, %v (probe said %q)", dir, b, err, r.out)
		}
	})
}

// TestRlimits: the limits of Spec apply, in both modes. Each limit has a
// control under it, so that a failure is the limit's doing.
func TestRlimits(t *testing.T) {
	cases := []struct {
		name     string
		edit     func(*Spec)
		args     []string
		wantOut  string // substring of stdout
		wantErr  string // substring of stderr
		wantFail bool   // Wait must report an error
	}{
		// A Go binary reserves about 800MiB of address space as it starts.
		{"memory over the limit", func(s *Spec) { s.MemoryBytes = 1536 << 20 }, []string{"alloc", strconv.Itoa(2 << 30)}, "", "out of memory", true},
		{"memory under the limit", func(s *Spec) { s.MemoryBytes = 1536 << 20 }, []string{"alloc", strconv.Itoa(64 << 20)}, "ok", "", false},
		{"file over the limit", func(s *Spec) { s.FileBytes = 1 << 20 }, []string{"fsize", "big", strconv.Itoa(2 << 20)}, "file too large", "", false},
		{"file under the limit", func(s *Spec) { s.FileBytes = 1 << 20 }, []string{"fsize", "small", strconv.Itoa(512 << 10)}, "ok", "", false},
		{"open files over the limit", func(s *Spec) { s.OpenFiles = 32 }, []string{"nofile", "64"}, "too many open files", "", false},
		{"open files under the limit", func(s *Spec) { s.OpenFiles = 32 }, []string{"nofile", "8"}, "ok", "", false},
		{"cpu over the limit", func(s *Spec) { s.CPUSeconds = 1 }, []string{"cpu"}, "looping", "", true},
	}
	for _, m := range modes {
		for _, c := range cases {
			t.Run(m.name+"/"+c.name, func(t *testing.T) {
				m.use(t)
				r := runProbe(t, c.edit, c.args...)
				if !strings.Contains(r.out, c.wantOut) || !strings.Contains(r.errOut, c.wantErr) {
					t.Errorf("expected stdout with %q and stderr with %q, found %q and %q", c.wantOut, c.wantErr, r.out, r.errOut)
				}
				if (r.err != nil) != c.wantFail {
					t.Errorf("expected failure %v, found Wait error %v", c.wantFail, r.err)
				}
				if c.name == "cpu over the limit" {
					ws, _ := r.p.ProcessState().Sys().(syscall.WaitStatus)
					if !ws.Signaled() || (ws.Signal() != syscall.SIGKILL && ws.Signal() != syscall.SIGXCPU) {
						t.Errorf("expected death by SIGXCPU or SIGKILL, found %v", r.p.ProcessState())
					}
				}
				if len(r.p.Containment().Rlimits) == 0 {
					t.Errorf("expected Containment to list the rlimit, found %q", r.p.Containment())
				}
			})
		}
	}
}

// TestEnv: the environment is Spec.Env plus HOME and TMPDIR (Dir), nothing
// of the checker's, and not the stub's marker.
func TestEnv(t *testing.T) {
	t.Setenv("NNKIT_SANDBOX_TEST_SECRET", "s3cret")
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			m.use(t)
			r := runProbe(t, func(s *Spec) {
				s.Env = []string{"A=1", "B=two words", "HOME=/elsewhere", stubEnv + "=forged"}
			}, "env")
			dir, err := filepath.EvalSymlinks(r.dir)
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Split(strings.TrimSpace(r.out), "\n")
			want := []string{"A=1", "B=two words", "HOME=" + dir, "TMPDIR=" + dir}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("expected the environment %q, found %q", want, got)
			}
		})
	}
}

// TestContainment: the report says namespaces wherever the kernel allows
// them, and the fallback says why; the process is as described.
func TestContainment(t *testing.T) {
	limits := func(s *Spec) { s.MemoryBytes = 1 << 30; s.Processes = 64 }
	t.Run("namespaces", func(t *testing.T) {
		if reason := namespacesRefused(); reason != "" {
			r := runProbe(t, limits, "info")
			if c := r.p.Containment(); len(c.Namespaces) != 0 || !strings.Contains(c.String(), "user namespaces unavailable") {
				t.Errorf("the kernel refuses namespaces (%s), expected the fallback with the reason, found %q", reason, c)
			}
			t.Skipf("the kernel refuses namespaces: %s", reason)
		}
		r := runProbe(t, limits, "info")
		c := r.p.Containment()
		t.Logf("Containment: %s", c)
		if !strings.HasPrefix(c.String(), "namespaces: user, pid, net, mount, ipc;") || c.Fallback != "" {
			t.Errorf("expected namespaces: user, pid, net, mount, ipc, found %q", c)
		}
		var info struct {
			Pid, Pdeathsig int
			Capeff         string
			Procs          []string
			Fds            []int
		}
		if err := json.Unmarshal([]byte(r.out), &info); err != nil {
			t.Fatalf("probe info: %v in %q", err, r.out)
		}
		if info.Pid != 1 || info.Pdeathsig != int(syscall.SIGKILL) || info.Capeff != "0000000000000000" || !slices.Equal(info.Procs, []string{"1"}) || len(info.Fds) != 0 {
			t.Errorf("expected pid 1, pdeathsig 9, no capabilities, only itself in /proc, no descriptor above 2; found %+v", info)
		}
	})
	t.Run("no fresh /proc", func(t *testing.T) {
		modes[0].use(t)
		testNoFreshProc = true
		defer func() { testNoFreshProc = false }()
		r := runProbe(t, limits, "info")
		c := r.p.Containment()
		t.Logf("Containment: %s", c)
		if !strings.Contains(c.String(), "note: /proc hidden, as a fresh one could not be mounted (refused by the test)") {
			t.Errorf("expected a note that /proc is hidden, found %q", c)
		}
		if !strings.Contains(r.out, `"procs":null`) || !strings.Contains(r.out, `"capeff":"unreadable"`) {
			t.Errorf("expected an empty /proc, found %q", r.out)
		}
	})
	t.Run("kernel refuses", func(t *testing.T) {
		modes[0].use(t)
		testBreakClone = true
		defer func() {
			testBreakClone = false
			noNamespaces.Lock()
			noNamespaces.reason = ""
			noNamespaces.Unlock()
		}()
		for i := range 2 { // the second Start goes straight to the fallback
			r := runProbe(t, limits, "info")
			c := r.p.Containment()
			t.Logf("Containment: %s", c)
			if !strings.HasPrefix(c.String(), "process group and rlimits only (user namespaces unavailable: fork/exec") || len(c.Namespaces) != 0 {
				t.Errorf("start %d: expected the fallback with the kernel's reason, found %q", i+1, c)
			}
			if !strings.Contains(r.out, `"capeff":"0000000000000000"`) {
				t.Errorf("start %d: expected the probe to run without capabilities, found %q", i+1, r.out)
			}
		}
		if namespaceUnavailable() == "" {
			t.Errorf("expected the refusal to be remembered, found no reason")
		}
	})
	t.Run("fallback", func(t *testing.T) {
		modes[1].use(t)
		r := runProbe(t, limits, "info")
		c := r.p.Containment()
		t.Logf("Containment: %s", c)
		if !strings.HasPrefix(c.String(), "process group and rlimits only (forced by the test)") || len(c.Namespaces) != 0 {
			t.Errorf("expected the fallback with its reason, found %q", c)
		}
		var info struct {
			Pid, Pdeathsig int
			Capeff         string
			Fds            []int
		}
		if err := json.Unmarshal([]byte(r.out), &info); err != nil {
			t.Fatalf("probe info: %v in %q", err, r.out)
		}
		if info.Pid != r.p.Pid() || info.Pdeathsig != int(syscall.SIGKILL) || info.Capeff != "0000000000000000" || len(info.Fds) != 0 {
			t.Errorf("expected pid %d, pdeathsig 9, no capabilities, no descriptor above 2; found %+v", r.p.Pid(), info)
		}
	})
}

// TestContextCancel: a probe that loops forever ends when its context is
// cancelled, and Wait says so.
func TestContextCancel(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			m.use(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			token := uniqueToken(t)
			p, sc := startLines(t, ctx, nil, "loop", token) // the token only marks the process
			expectLine(t, sc, "looping")
			cancel()
			done := make(chan error, 1)
			go func() { done <- p.Wait() }()
			select {
			case err := <-done:
				if !errors.Is(err, context.Canceled) {
					t.Errorf("expected Wait to wrap context.Canceled, found %v", err)
				}
			case <-time.After(safetyNet):
				t.Fatal("the probe did not end after its context was cancelled")
			}
			gone(t, token, true)
			p.Kill() // after Wait: must do nothing
		})
	}
}

// TestStartErrors: Start refuses what it cannot honour, and says what it
// expected and what it found.
func TestStartErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	bin := probePath(t)
	cases := []struct {
		name string
		spec Spec
		want string
	}{
		{"no binary", Spec{Dir: dir}, "Spec.Path is empty"},
		{"missing binary", Spec{Path: filepath.Join(dir, "nope"), Dir: dir}, "no such file"},
		{"not executable", Spec{Path: file, Dir: dir}, "expected an executable file"},
		{"no Dir", Spec{Path: bin}, "Spec.Dir is empty"},
		{"Dir is a file", Spec{Path: bin, Dir: file}, "expected a folder"},
		{"missing ReadOnly", Spec{Path: bin, Dir: dir, ReadOnly: []string{filepath.Join(dir, "nope")}}, "ReadOnly path"},
		{"Hidden contains Dir", Spec{Path: bin, Dir: dir, Hidden: []string{filepath.Dir(dir)}}, "contains the work folder"},
		{"Hidden contains the binary", Spec{Path: bin, Dir: dir, Hidden: []string{filepath.Dir(bin)}}, "contains the student binary"},
		{"ReadOnly contains Dir", Spec{Path: bin, Dir: dir, ReadOnly: []string{dir}}, "expected the work folder to stay writable"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := Start(context.Background(), c.spec)
			if err == nil {
				p.Kill()
				p.Wait()
				t.Fatalf("expected an error containing %q, found none", c.want)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("expected an error containing %q, found %q", c.want, err)
			}
		})
	}
	t.Run("Main not called", func(t *testing.T) {
		mainCalled.Store(false)
		defer mainCalled.Store(true)
		_, err := Start(context.Background(), Spec{Path: bin, Dir: dir})
		if err == nil || !strings.Contains(err.Error(), "sandbox.Main()") {
			t.Errorf("expected an error asking for sandbox.Main(), found %v", err)
		}
	})
	t.Run("cancelled context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := Start(ctx, Spec{Path: bin, Dir: dir}); !errors.Is(err, context.Canceled) {
			t.Errorf("expected context.Canceled, found %v", err)
		}
	})
}

// TestPipes: a conversation over two os.Pipes, as the checker talks to
// the student process, ends cleanly.
func TestPipes(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			m.use(t)
			inR, inW, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer inW.Close()
			ctx, cancel := context.WithTimeout(context.Background(), safetyNet)
			defer cancel()
			p, sc := startLines(t, ctx, func(s *Spec) { s.Stdin = inR }, "echo")
			inR.Close()
			for _, q := range []string{"relu", "softmax"} {
				fmt.Fprintln(inW, q)
				if got := expectLine(t, sc, ""); got != strings.ToUpper(q) {
					t.Errorf("expected the answer %q, found %q", strings.ToUpper(q), got)
				}
			}
			inW.Close()
			if err := p.Wait(); err != nil {
				t.Errorf("expected exit status 0 after the end of input, found %v", err)
			}
		})
	}
}

// TestExtraFiles: the caller's ExtraFiles reach the student binary as fds
// 3 and 4 (the checker's request and reply pipes), and nothing else above
// 2 does, in both modes.
func TestExtraFiles(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			m.use(t)
			reqR, reqW, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			repR, repW, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer reqW.Close()
			defer repR.Close()
			ctx, cancel := context.WithTimeout(context.Background(), safetyNet)
			defer cancel()
			p, err := Start(ctx, Spec{Path: probePath(t), Args: []string{"fd3to4"}, Dir: t.TempDir(), Stderr: os.Stderr, ExtraFiles: []*os.File{reqR, repW}})
			reqR.Close()
			repW.Close()
			if err != nil {
				t.Fatal(err)
			}
			defer p.Wait()
			defer p.Kill()
			fmt.Fprintln(reqW, "hello")
			reqW.Close()
			sc := bufio.NewScanner(repR)
			if !sc.Scan() || sc.Text() != "HELLO" {
				t.Fatalf("expected HELLO back on fd 4, found %q (%v)", sc.Text(), sc.Err())
			}
			if !sc.Scan() || sc.Text() != "[0 1 2 3 4]" {
				t.Fatalf("expected open fds [0 1 2 3 4], found %q", sc.Text())
			}
		})
	}
}

// TestMinimal: with Spec.Minimal the probe sees its work folder, /proc
// and /dev/null, and nothing of the host (no /etc, no /usr, not the
// folder its binary came from), can write in its folder only, and still
// talks over its ExtraFiles.
func TestMinimal(t *testing.T) {
	modes[0].use(t) // skips where the kernel refuses namespaces
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), safetyNet)
	defer cancel()
	p, sc := startLines(t, ctx, func(s *Spec) { s.Minimal = true; s.Dir = dir }, "minimal", filepath.Dir(probePath(t)))
	for _, want := range []string{"root: [dev proc student work]", "cwd: /work", "home: /work", "write work: ok", "write root: refused", "etc: missing", "binary dir: missing"} {
		if got := expectLine(t, sc, ""); got != want {
			t.Errorf("expected %q, found %q", want, got)
		}
	}
	p.Wait()
	if _, err := os.Stat(filepath.Join(dir, "written")); err != nil {
		t.Errorf("the file the probe wrote in /work is not in the work folder: %v", err)
	}
	if !strings.Contains(p.Containment().String(), "a root of its own") {
		t.Errorf("Containment says %q", p.Containment())
	}
}
