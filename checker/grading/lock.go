package grading

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// LockFile is the lock of a results folder: an exclusive flock(2) held
// for the whole run (the kernel drops it when the process ends, however
// it ends), the file itself naming the holder.
const LockFile = ".lock"

// lockInfo is what the lock file says about its holder.
type lockInfo struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	Started time.Time `json:"started"`
	Command string    `json:"command,omitempty"`
}

func (h *lockInfo) String() string {
	if h.PID == 0 {
		return "an unknown process (" + h.Command + ")"
	}
	s := fmt.Sprintf("pid %d on host %s, started %s", h.PID, h.Host, h.Started.Format(time.RFC3339))
	if h.Command != "" {
		s += " (" + h.Command + ")"
	}
	return s
}

// ResultsLock is the exclusive lock on a results folder (see
// LockResults).
type ResultsLock struct {
	f *os.File
}

// LockResults takes the exclusive lock on the results folder out
// (creating it), so that two runs never grade into one folder: when
// another process holds it, the error names that process (pid, host,
// start time, from the lock file) at once, without waiting. A lock file
// left by a run that ended without releasing it (killed, crashed: the
// kernel has dropped its lock) is taken over, and note says so.
// Platforms without flock(2) get no lock.
func LockResults(out string) (l *ResultsLock, note string, err error) {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, "", fmt.Errorf("results folder: %v", err)
	}
	p := filepath.Join(out, LockFile)
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, "", fmt.Errorf("locking the results folder: %v", err)
	}
	held, err := tryLock(f)
	if err != nil {
		f.Close()
		return nil, "", fmt.Errorf("locking the results folder: flock %s: %v", p, err)
	}
	old := readLockInfo(f)
	if held {
		f.Close()
		holder := "another process (the lock file does not name it yet)"
		if old != nil {
			holder = old.String()
			if host, _ := os.Hostname(); old.Host == host && !pidAlive(old.PID) {
				holder += fmt.Sprintf("; pid %d is not running, so a process it started still holds the lock: look for a leftover check grade-one", old.PID)
			}
		}
		return nil, "", fmt.Errorf("the results folder %s is in use by another check grade: %s (lock %s); wait for it to finish, or grade into another -out", out, holder, p)
	}
	if old != nil {
		state := "no longer running"
		if host, _ := os.Hostname(); old.Host != host {
			state = "on another host"
		} else if pidAlive(old.PID) {
			state = "now another process"
		}
		note = fmt.Sprintf("took over a stale lock of %s, left by %s: that run ended without releasing it (killed or crashed; its pid is %s); students it finished are kept, the others are graded now", out, old, state)
	}
	host, _ := os.Hostname()
	me := lockInfo{PID: os.Getpid(), Host: host, Started: time.Now().Truncate(time.Second), Command: strings.Join(os.Args, " ")}
	b, _ := json.Marshal(me)
	if err := rewrite(f, append(b, '\n')); err != nil {
		unlock(f)
		f.Close()
		return nil, "", fmt.Errorf("writing the lock file %s: %v", p, err)
	}
	return &ResultsLock{f: f}, note, nil
}

// Release empties the lock file (so the next run finds no stale holder)
// and drops the lock.
func (l *ResultsLock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Truncate(0)
	unlock(l.f)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	return err
}

// rewrite replaces the content of the locked file f. The file itself
// must stay (its inode carries the lock), so it is truncated and written
// in place, not renamed over; a reader only looks at it after failing to
// lock, and a torn read just names no holder.
func rewrite(f *os.File, b []byte) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	if _, err := f.WriteAt(b, 0); err != nil {
		return err
	}
	return f.Sync()
}

func readLockInfo(f *os.File) *lockInfo {
	b, err := io.ReadAll(io.NewSectionReader(f, 0, 1<<16))
	if err != nil || len(strings.TrimSpace(string(b))) == 0 {
		return nil
	}
	var h lockInfo
	if json.Unmarshal(b, &h) != nil || h.PID == 0 {
		return &lockInfo{Command: "unreadable lock file: " + strings.TrimSpace(string(b[:min(len(b), 80)]))}
	}
	return &h
}
