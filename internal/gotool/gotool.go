// Package gotool finds the go command that the checker, the notebooks and
// the conceptual grader build student code with.
package gotool

import (
	"os/exec"
	"path/filepath"
	"runtime"
)

// Command is the go on $PATH, else the toolchain this program was built
// with (a student may run a built check binary from a shell without Go on
// its PATH).
func Command() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}
