package checker

import "syscall"

// studentSysProcAttr starts the student process as a group leader that
// dies with the checker.
func studentSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
