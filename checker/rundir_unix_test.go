//go:build unix

package checker

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A run killed before it could remove its folder (SIGKILL: no deferred
// call runs) leaves the folder behind; the next run removes it, and
// leaves alone the folder of a run still going.
func TestSweepRemovesKilledRuns(t *testing.T) {
	if os.Getenv("NNKIT_RUNDIR_CHILD") == "1" {
		dir, _, err := newRunDir()
		if err != nil {
			os.Exit(2)
		}
		os.Stdout.WriteString(dir + "\n")
		time.Sleep(time.Minute) // killed long before
		os.Exit(0)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestSweepRemovesKilledRuns$")
	cmd.Env = append(os.Environ(), "NNKIT_RUNDIR_CHILD=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	n, _ := out.Read(buf)
	killed := strings.TrimSpace(string(buf[:n]))
	if !strings.Contains(filepath.Base(killed), runDirPattern) {
		cmd.Process.Kill()
		t.Fatalf("the child run said %q, want its folder", killed)
	}
	defer os.RemoveAll(killed)

	// While it lives, another run must leave its folder alone.
	live, release, err := newRunDir()
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(live)
	defer release()
	if _, err := os.Stat(killed); err != nil {
		t.Fatalf("a run swept the folder of a run still going: %v", err)
	}

	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if _, err := os.Stat(killed); err != nil {
		t.Fatalf("the killed run's folder is already gone: %v", err)
	}
	other, release2, err := newRunDir()
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(other)
	defer release2()
	if _, err := os.Stat(killed); !os.IsNotExist(err) {
		t.Errorf("the killed run's folder %s is still there after the next run started (%v)", killed, err)
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("the next run swept the folder of a live run in this process: %v", err)
	}
}

// What the sweep leaves alone: folders without a lock file younger than
// staleAge (a run making its folder this instant), links named like a run
// folder (and what they point to), a lock file that is a link or a FIFO
// (opened without following or blocking), and plain files. An old folder
// without a lock file (left by a check from before lock files) goes.
func TestSweepLeavesWhatItCannotJudge(t *testing.T) {
	mk := func() string {
		d, err := os.MkdirTemp("", runDirPattern)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(d) })
		return d
	}
	young := mk()
	old := mk()
	oldTime := time.Now().Add(-2 * staleAge)
	if err := os.Chtimes(old, oldTime, oldTime); err != nil {
		t.Fatal(err)
	}
	target := t.TempDir()
	if err := os.WriteFile(filepath.Join(target, "keep"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := young + "-link"
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("cannot make a symbolic link here: %v", err)
	}
	t.Cleanup(func() { os.Remove(link) })
	linkedAlive := mk()
	if err := os.Symlink(filepath.Join(target, "keep"), filepath.Join(linkedAlive, aliveFile)); err != nil {
		t.Fatal(err)
	}
	fifoAlive := mk()
	if err := syscall.Mkfifo(filepath.Join(fifoAlive, aliveFile), 0o600); err != nil {
		t.Fatal(err)
	}
	file := young + "-file"
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(file) })

	done := make(chan struct{})
	go func() { sweepDeadRuns(""); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the sweep hangs (opening a FIFO?)")
	}
	for _, keep := range []string{young, link, linkedAlive, fifoAlive, file, filepath.Join(target, "keep")} {
		if _, err := os.Lstat(keep); err != nil {
			t.Errorf("the sweep removed %s: %v", keep, err)
		}
	}
	if _, err := os.Lstat(old); !os.IsNotExist(err) {
		t.Errorf("the sweep left %s, a folder without a lock file from two days ago (%v)", old, err)
	}
}

// A run just starting is never swept by another run sweeping at that
// moment: its lock file appears already locked (made and locked under
// another name, then renamed). Before, a sweep could take the lock in
// the gap between creating the file and locking it, and remove the
// folder of a run that had not begun (about 7 in 1,000 starts here).
func TestSweepNeverTakesAStartingRun(t *testing.T) {
	stop := make(chan struct{})
	swept := make(chan struct{})
	go func() {
		defer close(swept)
		for {
			select {
			case <-stop:
				return
			default:
				sweepDeadRuns("")
			}
		}
	}()
	defer func() { close(stop); <-swept }()
	for i := range 1000 {
		dir, release, err := newRunDir()
		if err != nil {
			t.Fatalf("start %d: %v", i, err)
		}
		_, statErr := os.Stat(filepath.Join(dir, aliveFile))
		release()
		os.RemoveAll(dir)
		if statErr != nil {
			t.Fatalf("start %d: a concurrent sweep removed the new run's folder: %v", i, statErr)
		}
	}
}

// The sweep reads the temporary folder, not a glob of its name: with
// TMPDIR=.../a[b], the pattern .../a[b]/nnkit-check-* would match
// .../ab/nnkit-check-*, outside TMPDIR, and miss the folders inside it.
func TestSweepTempDirWithGlobCharacters(t *testing.T) {
	base := t.TempDir()
	tmp := filepath.Join(base, "a[b]")
	outside := filepath.Join(base, "ab", runDirPattern+"notes")
	inside := filepath.Join(tmp, runDirPattern+"dead")
	for _, d := range []string{tmp, outside, inside} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * staleAge)
	for _, d := range []string{outside, inside} {
		if err := os.Chtimes(d, old, old); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("TMPDIR", tmp)
	sweepDeadRuns("")
	if _, err := os.Stat(outside); err != nil {
		t.Errorf("the sweep removed %s, outside TMPDIR %s: %v", outside, tmp, err)
	}
	if _, err := os.Stat(inside); !os.IsNotExist(err) {
		t.Errorf("the sweep left %s, an old folder without a lock in TMPDIR (%v)", inside, err)
	}
}
