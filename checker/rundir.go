package checker

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// runDirPattern names the temporary folder of a check (os.MkdirTemp).
const runDirPattern = "nnkit-check-"

// aliveFile is the file in a run's folder that the run holds locked for
// as long as its process lives (see lockAlive).
const aliveFile = ".alive"

// staleAge is how old a run folder without a lock file must be before a
// later run removes it: such a folder was left by a check from before
// lock files, or is one being made this instant (then it is new). A
// check's folder lives as long as one student's check, minutes.
const staleAge = time.Hour

// newRunDir makes the run's temporary folder and locks its alive file;
// release unlocks it (the caller then removes the folder). On the way it
// removes the folders that earlier runs on this machine left behind when
// they were killed before they could remove them (a SIGKILL, a CI
// timeout): every later student process would otherwise be made to hide
// each of them.
func newRunDir() (dir string, release func(), err error) {
	dir, err = os.MkdirTemp("", runDirPattern)
	if err != nil {
		return "", nil, err
	}
	release, err = lockAlive(filepath.Join(dir, aliveFile))
	if err != nil {
		os.RemoveAll(dir)
		return "", nil, err
	}
	sweepDeadRuns(dir)
	return dir, release, nil
}

// sweepDeadRuns removes the run folders other than own whose run is
// gone: real folders (not links) of this user, whose alive file nobody
// holds locked, or that have none and are older than staleAge. A folder
// it cannot judge is left alone.
func sweepDeadRuns(own string) {
	if !canLock {
		return
	}
	for _, d := range runDirs(own) {
		fi, err := os.Lstat(d)
		if err != nil || !ownedByMe(fi) {
			continue
		}
		alive := filepath.Join(d, aliveFile)
		afi, err := os.Lstat(alive)
		switch {
		case os.IsNotExist(err):
			if time.Since(fi.ModTime()) < staleAge {
				continue
			}
		case err != nil || !afi.Mode().IsRegular():
			continue
		case !lockedByNobody(alive):
			continue
		}
		os.RemoveAll(d)
	}
}

// runDirs lists the run folders in the temporary folder other than own:
// real folders named runDirPattern*. The sandbox hides them from a
// student process (they hold the other checks' student programs and work
// folders; one made after an item starts is not covered, and without a
// forbidden import the student's code cannot open a file anyway), and
// the sweep looks among them.
//
// Only real folders count: a symbolic link named like one (planted by a
// process that could write to the temporary folder) would otherwise make
// the sandbox hide where it points, "/" or another run's work folder, and
// fail every later student's items, and the sweep would look behind it.
// The folder is read, not globbed, since the temporary folder's own name
// may hold a pattern's metacharacters ([, *, ?); own is compared cleaned,
// as os.MkdirTemp does not clean what TMPDIR says.
func runDirs(own string) []string {
	own = filepath.Clean(own)
	tmp := filepath.Clean(os.TempDir())
	entries, _ := os.ReadDir(tmp)
	var out []string
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), runDirPattern) || e.Type() != fs.ModeDir {
			continue
		}
		if d := filepath.Join(tmp, e.Name()); d != own {
			out = append(out, d)
		}
	}
	return out
}
