//go:build !linux

package checker

import "syscall"

// studentSysProcAttr starts the student process as a group leader.
func studentSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
