//go:build unix

package grading

import (
	"os/exec"
	"syscall"
)

// ownGroup starts cmd in a process group of its own and makes the
// context's cancellation kill the whole group: the go command, the
// compiler and every item process a hanging submission left behind.
func ownGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		if cmd.Process == nil {
			return nil
		}
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}

// killGroup kills what is left of cmd's process group once cmd has
// exited: no process a student's grading started outlives it.
func killGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
