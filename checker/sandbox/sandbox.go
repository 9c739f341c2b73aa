// Package sandbox starts a student process contained, so that hostile
// student code cannot reach the trusted checker's files, network, or
// processes, and cannot outlive its grading.
//
// The checker runs each student's code in a separate binary (the student's
// package plus a small generated harness) and talks to it only over pipes.
// This package starts that binary: [Start] takes a [Spec] (binary, arguments,
// exact environment, a private work folder, limits, paths to protect) and
// returns a [Process] whose [Process.Containment] says which containment was
// in effect, so that every report can print it.
//
// # What each platform gets
//
// Linux, when the kernel allows unprivileged user namespaces: the process
// runs in new user, PID, network, mount and IPC namespaces, with the
// caller's uid and gid mapped to root inside. A trusted setup stub (see
// [Main]) runs first inside the namespaces and then replaces itself with the
// student binary. The stub
//   - mounts a fresh /proc, so that only the student's own processes are
//     visible (the host's /proc would show the checker and its memory);
//   - makes the whole file system read-only except [Spec.Dir], then
//     remounts every [Spec.ReadOnly] path read-only and covers every
//     [Spec.Hidden] path with an empty read-only tmpfs;
//   - forbids nested user namespaces where the kernel lets it;
//   - closes every descriptor but 0, 1 and 2 on exec, including those the
//     checker itself inherited without close-on-exec;
//   - sets the rlimits, drops every capability (bounding set included,
//     with no_new_privs), so that the student's "root" can neither
//     unmount nor remount what the stub set up (in a nested user namespace
//     it gets capabilities back, but the kernel locks mounts inherited from
//     a more privileged namespace);
//   - execs the student binary, which becomes PID 1 of the new PID
//     namespace.
//
// The network namespace holds only a loopback interface that is down: no
// route leads anywhere, not even to 127.0.0.1 of the host. Unix-domain
// sockets are files, though, and a socket file the process can see stays
// connectable across network namespaces (read-only mounts do not stop
// connect, nor the opening of FIFOs and device nodes): list the folders
// that hold such sockets (for example /run, /var/run, /tmp/.X11-unix) in
// [Spec.Hidden].
//
// Linux without namespaces (a container whose seccomp profile forbids them,
// user namespaces switched off): the fallback. The process gets its own
// process group, is killed with its parent (Pdeathsig) and gets the rlimits,
// capabilities dropped, no_new_privs and no stray descriptors, nothing more:
// ReadOnly and Hidden are not enforced, the network is open, the host's
// processes are visible, and it keeps the checker's uid (run as root, it can
// write wherever root can). [Containment.String] says so, with the reason.
//
// macOS, FreeBSD, NetBSD and DragonFly: the same stub sets the rlimits; the
// process gets its own process group. Nothing kills it if the checker itself
// dies, and nothing else is contained. Every other platform (Windows, ...):
// no containment at all, and Containment says so.
//
// # No survivors
//
// When the Process is killed ([Process.Kill]), its context ends, or its main
// process exits, every process it started is killed. In a PID namespace this
// is the kernel's doing: when the namespace's init (the student binary)
// dies, all processes of the namespace die with it, and its exit is
// reported only after they are gone. In the fallback the whole process
// group is killed, which is weaker: a process that calls setsid (or
// setpgid) leaves the group and survives; if the checker itself dies,
// Pdeathsig kills the main process only, not the rest of its group; and
// since the fallback shares the checker's uid and PID namespace the process
// could also signal the checker's processes, including kill(-1, SIGKILL).
// The fallback exists so that grading still works where namespaces do not;
// reports say which one ran.
//
// # The stub, and why every host program must call Main
//
// Go runs every package's init functions before main, so a student package
// gets to run code before any harness main could set anything up. The setup
// that must happen inside the namespaces is therefore done by a trusted stub:
// Start re-executes the current program (/proc/self/exe) with a marker, and
// [Main], called at the very start of the host program's main (and of
// TestMain in tests), recognises the marker, does the setup and execs the
// student binary. A program that uses this package and does not call Main
// cannot start anything: Start fails and says so.
package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
)

// Spec describes one student process.
type Spec struct {
	// Path is the student binary. It must exist and be executable.
	Path string
	// Args are the arguments after the program name (argv[1:]).
	Args []string
	// Env is the exact environment of the student process: nothing of the
	// checker's environment is inherited. HOME and TMPDIR are always set to
	// Dir (a value for them in Env is replaced).
	Env []string
	// Dir is a private, writable, temporary folder the caller created for
	// this process alone. It becomes the working directory, HOME and
	// TMPDIR, and with namespaces it is the only writable place.
	Dir string

	// Stdin, Stdout and Stderr are connected as in os/exec.Cmd: nil means
	// the null device, an *os.File is passed on as it is, anything else is
	// copied through a pipe. For a conversation with the student process,
	// pass the ends of two os.Pipe()s and close the child's ends after Start.
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Minimal shows the student binary, where namespaces are available,
	// an allow-list instead of the host's file system: a root of its own
	// holding the binary (/student), the work folder (/work, which then
	// becomes its working directory, HOME and TMPDIR), a fresh /proc and
	// /dev/null, nothing else. ReadOnly and Hidden are then moot. A
	// statically linked binary (Go without cgo) needs nothing more.
	Minimal bool
	// ExtraFiles are passed to the student binary as descriptors 3, 4,
	// ... (as in os/exec.Cmd), every other descriptor above 2 closed:
	// the checker talks to its student process over two pipes there,
	// so that what the student's code prints cannot mix with replies.
	ExtraFiles []*os.File

	// Limits, applied with setrlimit; zero leaves a limit as inherited.
	// Core dumps are always off (RLIMIT_CORE 0).
	//
	// MemoryBytes limits address space, not memory in use: a Go binary
	// reserves about 800MiB of it as it starts (amd64, Go 1.26) and dies
	// with "failed to reserve page summary memory" below that, so give it
	// that much plus the heap it may use.
	MemoryBytes uint64 // RLIMIT_AS: address space, bytes
	CPUSeconds  uint64 // RLIMIT_CPU: SIGXCPU after this, SIGKILL a second later
	FileBytes   uint64 // RLIMIT_FSIZE: largest file the process may write
	Processes   uint64 // RLIMIT_NPROC: counts processes of the uid; the kernel ignores it for root
	OpenFiles   uint64 // RLIMIT_NOFILE: open file descriptors

	// ReadOnly paths are bind-mounted read-only (with namespaces only).
	// Everything outside Dir is read-only anyway; this is for paths inside
	// Dir, or as a statement of intent. They must exist and must not
	// contain Dir.
	ReadOnly []string
	// Hidden paths are covered by an empty read-only tmpfs (a folder) or by
	// an empty file (a file), with namespaces only, so that for example the
	// results of other students are invisible. They must contain neither
	// Dir nor Path. One that does not exist when the process starts (such
	// as another run's temporary folder, removed since the caller listed
	// it) is skipped: there is nothing there to hide.
	Hidden []string
}

// Containment says which containment was in effect for one process. Print
// it (String) in every report: a grade obtained in the fallback is only as
// trustworthy as the fallback.
type Containment struct {
	// Namespaces lists the new namespaces ("user", "pid", "net", "mount",
	// "ipc"); empty in the fallback.
	Namespaces []string
	// Fallback says why namespaces were not used; empty when they were.
	Fallback string
	// ProcessGroup is true when the process got its own process group,
	// killed as a whole at the end.
	ProcessGroup bool
	// DiesWithParent is true when the kernel kills the process if the
	// thread of the checker that started it dies (Pdeathsig).
	DiesWithParent bool
	// NoCapabilities is true when all capabilities were dropped and
	// no_new_privs was set.
	NoCapabilities bool
	// Minimal is true when the process saw only its binary, its work
	// folder, /proc and /dev/null (Spec.Minimal, with namespaces).
	Minimal bool
	// Rlimits lists the limits that were set, for example "as 256MiB".
	Rlimits []string
	// Notes are anything else a reader should know, for example a limit
	// the kernel does not enforce here.
	Notes []string
}

// String says in one line what was in effect, for example
// "namespaces: user, pid, net, mount, ipc; read-only except the work
// folder; capabilities dropped; rlimits: as 256MiB; own process group;
// killed with its parent".
func (c Containment) String() string {
	var parts []string
	if len(c.Namespaces) > 0 {
		parts = append(parts, "namespaces: "+strings.Join(c.Namespaces, ", "))
		if c.Minimal {
			parts = append(parts, "a root of its own holding only its binary, its work folder, /proc and /dev/null; no network")
		} else {
			parts = append(parts, "read-only except the work folder, Hidden paths covered, no network")
		}
	} else {
		what := "no containment"
		switch {
		case c.ProcessGroup && len(c.Rlimits) > 0:
			what = "process group and rlimits only"
		case c.ProcessGroup:
			what = "process group only"
		case len(c.Rlimits) > 0:
			what = "rlimits only"
		}
		if c.Fallback != "" {
			what += " (" + c.Fallback + ")"
		}
		parts = append(parts, what, "ReadOnly and Hidden not enforced, network open, host processes visible")
	}
	if c.NoCapabilities {
		parts = append(parts, "capabilities dropped")
	}
	if len(c.Rlimits) > 0 {
		parts = append(parts, "rlimits: "+strings.Join(c.Rlimits, ", "))
	}
	if c.ProcessGroup && len(c.Namespaces) > 0 {
		parts = append(parts, "own process group")
	}
	if c.DiesWithParent {
		parts = append(parts, "killed with its parent")
	}
	for _, n := range c.Notes {
		parts = append(parts, "note: "+n)
	}
	return strings.Join(parts, "; ")
}

// Available reports whether Start can run here: the host program called
// Main. A library (the checker) that may be linked into programs that do
// not uses it to fall back, saying so, rather than fail.
func Available() bool { return mainCalled.Load() }

// mainCalled records that the host program called Main, without which the
// re-executed stub would run the host program instead of the setup.
var mainCalled atomic.Bool

// Main must be the first statement of main in every program that uses this
// package, and of TestMain in its tests:
//
//	func main() {
//		sandbox.Main()
//		...
//	}
//
// In the checker it returns at once. In the copy of the program that Start
// runs as the setup stub it never returns: it sets up the containment and
// replaces itself with the student binary (or exits with status 127 after
// reporting why it could not). Init functions of the host program's
// packages run in the stub before Main, so they must not act on the world.
func Main() {
	mainCalled.Store(true)
	if len(os.Args) > 0 && os.Args[0] == stubArg0 {
		if cfg, ok := os.LookupEnv(stubEnv); ok {
			runStub(cfg)
		}
	}
}

const (
	// stubArg0 and stubEnv mark the re-executed host program as the setup
	// stub. Both must be present, so that a stray variable in the checker's
	// environment cannot turn the checker into a stub.
	stubArg0 = "nnkit-sandbox-stub"
	stubEnv  = "NNKIT_SANDBOX_STUB"
)

// Process is a started student process.
type Process struct {
	containment Containment
	name        string // for error messages
	pid         int
	kill        func() // kills the whole process tree; called under mu while !exited
	state       *os.ProcessState

	done chan struct{} // closed when the process has been reaped
	err  error         // what Wait reports; set before done is closed

	mu     sync.Mutex
	exited bool  // the main process has exited: no signal may be sent any more
	ctxErr error // the context ended before the process exited
}

// Start starts the student process described by spec. The process is
// killed, with everything it started, when ctx ends or Kill is called; Wait
// must be called to release it. Start fails if the host program did not call
// Main, if spec is invalid, or if the containment could not be set up; when
// namespaces cannot be created at all it uses the fallback instead and says
// so in Containment.
func Start(ctx context.Context, spec Spec) (*Process, error) {
	if !mainCalled.Load() {
		return nil, errors.New("sandbox: Start needs sandbox.Main() to be called first thing in main (and in TestMain for tests), but this program did not call it: the setup stub would run this program instead")
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("sandbox: not starting %s: %w", spec.Path, err)
	}
	s, err := clean(spec)
	if err != nil {
		return nil, err
	}
	return start(ctx, s)
}

// clean checks spec and returns a copy with absolute, symlink-free paths
// (mount points are resolved by the kernel, so they are compared resolved).
func clean(spec Spec) (*Spec, error) {
	s := spec
	var err error
	if s.Path == "" {
		return nil, errors.New("sandbox: Spec.Path is empty: expected the student binary")
	}
	if len(s.ExtraFiles) > 16 {
		return nil, fmt.Errorf("sandbox: %d ExtraFiles, expected at most 16", len(s.ExtraFiles))
	}
	if s.Path, err = resolve(s.Path); err != nil {
		return nil, fmt.Errorf("sandbox: student binary: %w", err)
	}
	if fi, err := os.Stat(s.Path); err != nil {
		return nil, fmt.Errorf("sandbox: student binary: %w", err)
	} else if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
		return nil, fmt.Errorf("sandbox: student binary %s: expected an executable file, found mode %v", s.Path, fi.Mode())
	}
	if s.Dir == "" {
		return nil, errors.New("sandbox: Spec.Dir is empty: expected a private writable folder for the process")
	}
	if s.Dir, err = resolve(s.Dir); err != nil {
		return nil, fmt.Errorf("sandbox: work folder: %w", err)
	}
	if fi, err := os.Stat(s.Dir); err != nil {
		return nil, fmt.Errorf("sandbox: work folder: %w", err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("sandbox: work folder %s: expected a folder, found mode %v", s.Dir, fi.Mode())
	}
	if s.Dir == "/" {
		return nil, errors.New("sandbox: work folder is /: expected a private folder")
	}
	s.ReadOnly = make([]string, len(spec.ReadOnly))
	for i, p := range spec.ReadOnly {
		if s.ReadOnly[i], err = resolve(p); err != nil {
			return nil, fmt.Errorf("sandbox: ReadOnly path: %w (expected an existing file or folder)", err)
		}
		if within(s.Dir, s.ReadOnly[i]) {
			return nil, fmt.Errorf("sandbox: ReadOnly path %s contains the work folder %s: expected the work folder to stay writable", s.ReadOnly[i], s.Dir)
		}
	}
	s.Hidden = nil
	for _, p := range spec.Hidden {
		h, err := resolve(p)
		if errors.Is(err, os.ErrNotExist) {
			// Gone since the caller listed it (another run's temporary
			// folder, removed meanwhile): nothing there to hide. Failing
			// would make one student's grading depend on when another's
			// ends.
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("sandbox: Hidden path: %w (expected a file or folder, or none)", err)
		}
		if within(s.Dir, h) {
			return nil, fmt.Errorf("sandbox: Hidden path %s contains the work folder %s: the process could not reach its own folder", h, s.Dir)
		}
		if within(s.Path, h) {
			return nil, fmt.Errorf("sandbox: Hidden path %s contains the student binary %s: it could not be started", h, s.Path)
		}
		s.Hidden = append(s.Hidden, h)
	}
	s.Env = nil
	for _, kv := range spec.Env {
		k, _, _ := strings.Cut(kv, "=")
		if k == "HOME" || k == "TMPDIR" || k == stubEnv {
			continue
		}
		s.Env = append(s.Env, kv)
	}
	s.Env = append(s.Env, "HOME="+s.Dir, "TMPDIR="+s.Dir)
	s.Args = append([]string(nil), spec.Args...)
	return &s, nil
}

// resolve makes p absolute and resolves symbolic links; p must exist.
func resolve(p string) (string, error) {
	a, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(a)
}

// within reports whether path is dir or inside it.
func within(path, dir string) bool {
	return path == dir || dir == "/" || strings.HasPrefix(path, dir+"/")
}

// Containment says which containment is in effect for p.
func (p *Process) Containment() Containment { return p.containment }

// Pid is the process id of the student process as the checker sees it.
func (p *Process) Pid() int { return p.pid }

// Kill kills the process and everything it started. It is safe to call at
// any time, more than once, and after Wait (then it does nothing).
func (p *Process) Kill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.exited {
		p.kill()
	}
}

// Wait waits until the process has exited and everything it started is
// gone, and says how it ended: nil for exit status 0, an *exec.ExitError
// otherwise, or, when the context ended first, an error that wraps the
// context's error.
func (p *Process) Wait() error {
	<-p.done
	return p.err
}

// ProcessState is the exit state after Wait, or nil.
func (p *Process) ProcessState() *os.ProcessState {
	select {
	case <-p.done:
		return p.state
	default:
		return nil
	}
}

// watch kills p when ctx ends before p exits.
func (p *Process) watch(ctx context.Context) {
	if ctx.Done() == nil {
		return
	}
	go func() {
		select {
		case <-ctx.Done():
			p.mu.Lock()
			if !p.exited {
				p.ctxErr = ctx.Err()
				p.kill()
			}
			p.mu.Unlock()
		case <-p.done:
		}
	}()
}

// finish records how the process ended and releases Wait.
func (p *Process) finish(state *os.ProcessState, err error) {
	p.mu.Lock()
	p.exited = true
	ctxErr := p.ctxErr
	p.mu.Unlock()
	p.state = state
	if ctxErr != nil {
		err = fmt.Errorf("sandbox: %s was killed because its context ended: %w", p.name, ctxErr)
	}
	p.err = err
	close(p.done)
}
