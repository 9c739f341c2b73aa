package checker

import (
	"os"
	"path/filepath"
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
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), runDirPattern+"*"))
	for _, d := range dirs {
		fi, err := os.Lstat(d)
		if d == own || err != nil || !fi.IsDir() || !ownedByMe(fi) {
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
