//go:build unix

package checker

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

const canLock = true

// lockAlive creates path and holds an exclusive flock on it until
// release. The file is made and locked under another name, then renamed
// to path, so that a sweep never sees path unlocked while its run lives
// (it would take the lock in that gap, and remove a run just starting).
// The kernel drops the lock when the process ends, however it ends; the
// file is opened close-on-exec, so the student processes the run starts
// do not inherit it.
func lockAlive(path string) (release func(), err error) {
	f, err := os.CreateTemp(filepath.Dir(path), aliveFile+"-new-")
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, &fs.PathError{Op: "flock", Path: f.Name(), Err: err}
	}
	if err := os.Rename(f.Name(), path); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return func() { f.Close() }, nil
}

// lockedByNobody reports whether path, a regular file, can be locked at
// once: its run is gone. It opens path without following a link and
// without blocking.
func lockedByNobody(path string) bool {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer syscall.Close(fd)
	return syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB) == nil
}

// ownedByMe reports whether fi belongs to this process's user.
func ownedByMe(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Getuid()
}
