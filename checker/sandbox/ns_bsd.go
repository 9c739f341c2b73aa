//go:build darwin || freebsd || netbsd || dragonfly

package sandbox

import (
	"errors"
	"os"
	"syscall"
)

// Without namespaces the stub only sets the rlimits; nothing kills the
// process when the checker dies.
const (
	diesWithParent    = false
	dropsCapabilities = false
)

var namespaceNames []string

func namespaceUnavailable() string { return "namespaces are Linux-only" }

func selfExe() (string, error) { return os.Executable() }

func sysProcAttr(bool) *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// waitExitNoReap is not available: the group is killed just after the main
// process was reaped, which is safe while any member of the group lives (a
// group's id is not reused while the group exists).
func waitExitNoReap(int) bool { return false }

func setupNamespaces(*stubConfig) ([]string, error) {
	return nil, errors.New("namespaces are Linux-only")
}

func dropPrivileges() error { return nil }

func closeOnExecFrom(first int) { closeOnExecLoop(first) }
