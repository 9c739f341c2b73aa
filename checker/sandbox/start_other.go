//go:build !(linux || darwin || freebsd || netbsd || dragonfly)

package sandbox

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"runtime"
)

// start runs the binary without any containment: this platform offers
// neither namespaces nor a setup stub here. Containment says so.
func start(ctx context.Context, s *Spec) (*Process, error) {
	cmd := exec.Command(s.Path, s.Args...)
	cmd.Dir, cmd.Env = s.Dir, s.Env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = s.Stdin, s.Stdout, s.Stderr
	cmd.ExtraFiles = s.ExtraFiles
	cmd.WaitDelay = waitDelay
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("sandbox: starting %s: %w", s.Path, err)
	}
	p := &Process{
		name:        filepath.Base(s.Path),
		pid:         cmd.Process.Pid,
		done:        make(chan struct{}),
		kill:        func() { _ = cmd.Process.Kill() },
		containment: Containment{Fallback: "namespaces and rlimits are not available on " + runtime.GOOS},
	}
	p.watch(ctx)
	go func() {
		err := cmd.Wait()
		p.finish(cmd.ProcessState, err)
	}()
	return p, nil
}

const waitDelay = 5e9

func runStub(string) {}
