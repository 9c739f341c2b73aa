package launch

import (
	"os/exec"
	"path/filepath"
	"runtime"
)

// GoCommand is the go command that the checker, the notebooks, the
// grader and the student copy's vendoring build with: the go on $PATH,
// else the toolchain this program was built with (a student may run a
// built check binary from a shell without Go on its PATH), else "go".
func GoCommand() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	// runtime.GOROOT is deprecated because the build-time root may be
	// gone at run time; here it is only the last guess before "go",
	// and `go env GOROOT` would need the very command being looked for.
	//lint:ignore SA1019 the fallback for a binary run without go on $PATH (see above)
	if root := runtime.GOROOT(); root != "" {
		return filepath.Join(root, "bin", "go")
	}
	return "go"
}
