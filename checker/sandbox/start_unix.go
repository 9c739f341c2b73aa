//go:build linux || darwin || freebsd || netbsd || dragonfly

package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// stubConfig is what Start tells the setup stub, through its environment.
type stubConfig struct {
	Path       string
	Args       []string
	Env        []string
	Dir        string
	ReadOnly   []string
	Hidden     []string
	Limits     []rlimit
	Namespaces bool
	// Minimal pivots into a root holding only the binary, the work
	// folder, /proc and /dev/null (Spec.Minimal).
	Minimal bool
	// ExtraFiles is how many of the caller's files follow the status
	// pipe (fds 4, ...); the stub moves them to 3, ... before the exec.
	ExtraFiles int
	// LegacyRemount makes the stub remount mount by mount instead of using
	// mount_setattr(2), as on kernels older than 5.12 (tests).
	LegacyRemount bool
	// NestedUserNS leaves nested user namespaces allowed, to test that the
	// mounts are locked in them (tests).
	NestedUserNS bool
	// NoFreshProc acts as if a fresh /proc could not be mounted (tests).
	NoFreshProc bool
}

type rlimit struct {
	Name     string
	Resource int
	Value    uint64
}

// stubMessage is one line the stub writes on its status pipe (fd 3)
// before it execs the student binary. The pipe is close-on-exec, so end
// of file after no Error means that the exec happened.
type stubMessage struct {
	Note  string `json:",omitempty"`
	Error string `json:",omitempty"`
}

// noNamespaces remembers why namespaces could not be created, so that
// later Starts go straight to the fallback.
var noNamespaces struct {
	sync.Mutex
	reason string
}

// Test switches: testForceFallback, when not empty, makes Start use the
// fallback with this reason; testLegacyRemount, testNestedUserNS and
// testNoFreshProc set the stubConfig fields of those names; testBreakClone
// makes the kernel refuse the namespaces.
var (
	testForceFallback string
	testLegacyRemount bool
	testNestedUserNS  bool
	testNoFreshProc   bool
	testBreakClone    bool
)

// waitDelay bounds how long Wait waits for the process's output pipes after
// it has exited: only a process that escaped the kill (possible in the
// fallback only) can keep them open.
const waitDelay = 5 * time.Second

// cloneError is a failure to create the stub process itself, which with
// namespaces means that the kernel refused them.
type cloneError struct{ err error }

func (e *cloneError) Error() string { return e.err.Error() }

func start(ctx context.Context, s *Spec) (*Process, error) {
	reason := namespaceUnavailable()
	if testForceFallback != "" {
		reason = testForceFallback
	}
	if reason != "" {
		return startStub(ctx, s, false, reason)
	}
	p, err := startStub(ctx, s, true, "")
	var ce *cloneError
	if !errors.As(err, &ce) {
		return p, err
	}
	reason = "user namespaces unavailable: " + ce.Error()
	p, err2 := startStub(ctx, s, false, reason)
	if err2 != nil {
		// Not the namespaces' fault after all: report the first failure.
		return nil, fmt.Errorf("sandbox: starting %s: %w", s.Path, err)
	}
	noNamespaces.Lock()
	noNamespaces.reason = reason
	noNamespaces.Unlock()
	return p, nil
}

func startStub(ctx context.Context, s *Spec, ns bool, fallback string) (*Process, error) {
	exe, err := selfExe()
	if err != nil {
		return nil, fmt.Errorf("sandbox: finding this program to run as the setup stub: %w", err)
	}
	cfg := stubConfig{
		Path: s.Path, Args: s.Args, Env: s.Env, Dir: s.Dir,
		ReadOnly: s.ReadOnly, Hidden: s.Hidden,
		Namespaces: ns, LegacyRemount: testLegacyRemount, NestedUserNS: testNestedUserNS,
		NoFreshProc: testNoFreshProc, ExtraFiles: len(s.ExtraFiles), Minimal: s.Minimal,
	}
	for _, l := range []rlimit{
		{"as", unix.RLIMIT_AS, s.MemoryBytes},
		{"cpu", unix.RLIMIT_CPU, s.CPUSeconds},
		{"fsize", unix.RLIMIT_FSIZE, s.FileBytes},
		{"nproc", unix.RLIMIT_NPROC, s.Processes},
		{"nofile", unix.RLIMIT_NOFILE, s.OpenFiles},
	} {
		if l.Value != 0 {
			cfg.Limits = append(cfg.Limits, l)
		}
	}
	raw, err := json.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	statusR, statusW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("sandbox: status pipe: %w", err)
	}
	defer statusR.Close()
	cmd := &exec.Cmd{
		Path:        exe,
		Args:        []string{stubArg0},
		Env:         []string{stubEnv + "=" + string(raw)},
		Dir:         s.Dir,
		Stdin:       s.Stdin,
		Stdout:      s.Stdout,
		Stderr:      s.Stderr,
		ExtraFiles:  append([]*os.File{statusW}, s.ExtraFiles...),
		SysProcAttr: sysProcAttr(ns),
		WaitDelay:   waitDelay,
	}
	p := &Process{name: filepath.Base(s.Path), done: make(chan struct{})}
	p.containment = containmentFor(s, &cfg, ns, fallback)

	started := make(chan error, 1)
	go func() {
		// Pdeathsig fires when the thread that started the child exits, not
		// the process (go.dev/issue/27505). This goroutine keeps its thread
		// until the child has been reaped; the runtime then ends the thread
		// because the goroutine exits locked.
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		pid := cmd.Process.Pid
		p.pid = pid
		p.kill = func() {
			// The group first: in the fallback it is what reaches the
			// children; with a PID namespace killing the main process (its
			// init) is enough, the group kill is harmless.
			_ = syscall.Kill(-pid, syscall.SIGKILL)
			_ = cmd.Process.Kill()
		}
		started <- nil
		p.reap(cmd)
	}()
	err = <-started
	statusW.Close()
	if err != nil {
		if ns {
			return nil, &cloneError{err}
		}
		return nil, fmt.Errorf("sandbox: starting %s: %w", s.Path, err)
	}
	p.watch(ctx)

	var setupErr string
	dec := json.NewDecoder(statusR)
	for {
		var m stubMessage
		if dec.Decode(&m) != nil {
			break
		}
		if m.Note != "" {
			p.containment.Notes = append(p.containment.Notes, m.Note)
		}
		if m.Error != "" {
			setupErr = m.Error
		}
	}
	if setupErr != "" {
		<-p.done
		return nil, fmt.Errorf("sandbox: setting up the contained process for %s failed: %s", s.Path, setupErr)
	}
	return p, nil
}

// reap waits for the main process, kills what is left of its process group
// and releases Wait. Where the platform can wait without reaping, the group
// is killed while the main process is still a zombie, so that its pid (the
// group's id) cannot have been reused by an unrelated process.
func (p *Process) reap(cmd *exec.Cmd) {
	pid := cmd.Process.Pid
	reaped := false
	var err error
	if !waitExitNoReap(pid) {
		err = cmd.Wait()
		reaped = true
	}
	p.mu.Lock()
	p.exited = true
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	p.mu.Unlock()
	if !reaped {
		err = cmd.Wait()
	}
	p.finish(cmd.ProcessState, err)
}

// containmentFor describes what the stub will set up, before it runs.
func containmentFor(s *Spec, cfg *stubConfig, ns bool, fallback string) Containment {
	c := Containment{
		Fallback:       fallback,
		ProcessGroup:   true,
		DiesWithParent: diesWithParent,
		NoCapabilities: dropsCapabilities,
	}
	if ns {
		c.Namespaces = namespaceNames
		c.Minimal = s.Minimal
	}
	for _, l := range cfg.Limits {
		switch l.Name {
		case "as", "fsize":
			c.Rlimits = append(c.Rlimits, l.Name+" "+byteSize(l.Value))
		case "cpu":
			c.Rlimits = append(c.Rlimits, fmt.Sprintf("cpu %ds", l.Value))
		default:
			c.Rlimits = append(c.Rlimits, fmt.Sprintf("%s %d", l.Name, l.Value))
		}
	}
	if s.Processes != 0 && os.Getuid() == 0 {
		c.Notes = append(c.Notes, "nproc is not enforced: the checker runs as root")
	}
	return c
}

// byteSize writes n in the largest binary unit that divides it.
func byteSize(n uint64) string {
	for _, u := range []struct {
		name string
		size uint64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.size && n%u.size == 0 {
			return fmt.Sprintf("%d%s", n/u.size, u.name)
		}
	}
	return fmt.Sprintf("%dB", n)
}

// runStub is the setup stub: it runs in the re-executed host program, inside
// the new namespaces, before any student code. It never returns.
func runStub(raw string) {
	// Capabilities, the bounding set and no_new_privs belong to a thread:
	// they are set on the thread that then execs.
	runtime.LockOSThread()
	// Descriptors the checker inherited without close-on-exec (from a shell,
	// a CI runner) pass through os/exec; none may reach the student. The
	// status pipe (fd 3) moves out of the way, close-on-exec, and the
	// caller's ExtraFiles (fds 4, ...) move down to 3, ...
	statusFD, err := unix.FcntlInt(3, unix.F_DUPFD_CLOEXEC, 3+extraFilesOf(raw)+1)
	if err != nil {
		os.Exit(127) // nowhere to report it: Start sees the status pipe close empty
	}
	for i := range extraFilesOf(raw) {
		if unix.Dup2(4+i, 3+i) != nil {
			os.Exit(127)
		}
	}
	closeOnExecFrom(3 + extraFilesOf(raw))
	status := os.NewFile(uintptr(statusFD), "sandbox status")
	enc := json.NewEncoder(status)
	fail := func(format string, args ...any) {
		_ = enc.Encode(stubMessage{Error: fmt.Sprintf(format, args...)})
		os.Exit(127)
	}
	var cfg stubConfig
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		fail("the stub's configuration is not valid JSON: %v", err)
	}
	if cfg.Namespaces {
		notes, err := setupNamespaces(&cfg)
		for _, n := range notes {
			_ = enc.Encode(stubMessage{Note: n})
		}
		if err != nil {
			fail("%v", err)
		}
	}
	// Again, after the mounts: the working directory inherited from Start
	// is the folder underneath the new bind mount of Dir.
	if err := os.Chdir(cfg.Dir); err != nil {
		fail("entering the work folder: %v", err)
	}
	// Allocate what exec needs before the limits: with the address-space
	// limit set, a runtime that must map a new arena for a small append
	// dies with "fatal error: runtime: cannot allocate memory" instead of
	// running the program (seen once in CI, on a loaded machine).
	argv := append([]string{cfg.Path}, cfg.Args...)
	if err := setLimit(unix.RLIMIT_CORE, 0, 0); err != nil {
		fail("setting rlimit core to 0: %v", err)
	}
	for _, l := range cfg.Limits {
		hard := l.Value
		if l.Name == "cpu" {
			hard++ // SIGXCPU at the soft limit, SIGKILL a second later
		}
		if err := setLimit(l.Resource, l.Value, hard); err != nil {
			fail("setting rlimit %s to %d: %v", l.Name, l.Value, err)
		}
	}
	if err := dropPrivileges(); err != nil {
		fail("dropping privileges: %v", err)
	}
	err = syscall.Exec(cfg.Path, argv, cfg.Env)
	fail("exec %s: %v", cfg.Path, err)
}

// extraFilesOf reads ExtraFiles from the stub's configuration before the
// rest of it is parsed (the descriptors move before anything can fail).
func extraFilesOf(raw string) int {
	var cfg struct{ ExtraFiles int }
	if json.Unmarshal([]byte(raw), &cfg) != nil || cfg.ExtraFiles < 0 || cfg.ExtraFiles > 16 {
		return 0
	}
	return cfg.ExtraFiles
}

// setLimit lowers a limit to soft and hard; neither is raised above the
// current hard limit, as that would fail without privileges and would not
// limit anything.
func setLimit(resource int, soft, hard uint64) error {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(resource, &l); err != nil {
		return err
	}
	if max := uint64(l.Max); hard > max {
		hard = max
	}
	soft = min(soft, hard)
	setRlim(&l.Cur, soft)
	setRlim(&l.Max, hard)
	// syscall.Setrlimit, not unix's: it also stops Go from restoring the
	// NOFILE soft limit it raised at start-up when it execs.
	return syscall.Setrlimit(resource, &l)
}

// setRlim stores v in a field of syscall.Rlimit, which is uint64 on some
// systems and int64 on others.
func setRlim[T int64 | uint64](field *T, v uint64) { *field = T(v) }

// closeOnExecLoop marks every descriptor from first up to the NOFILE limit
// close-on-exec, where the kernel has nothing faster.
func closeOnExecLoop(first int) {
	var l syscall.Rlimit
	limit := 1 << 16
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l) == nil && uint64(l.Cur) < uint64(limit) {
		limit = int(l.Cur)
	}
	for fd := first; fd < limit; fd++ {
		syscall.CloseOnExec(fd)
	}
}
