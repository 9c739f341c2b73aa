// Package watch re-runs an action whenever a Go file in some folders is
// saved: `check watch ./exercises/task1` re-grades the task on every save.
//
// It watches the folders, not the files, so an editor that saves by
// writing a temporary file and renaming it over the original (vim, many
// IDEs) is seen as well as one that writes in place. File-system events
// come from fsnotify (inotify, kqueue, ReadDirectoryChangesW); where they
// do not work (some network and container file systems), or with
// Options.Poll, the folders are polled: every Go file's modification time,
// size and SHA-256 are compared every Options.Interval. A burst of events
// (a save is often several) runs the action once, after Options.Debounce
// of quiet.
package watch

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Options configure Watch.
type Options struct {
	// Poll polls instead of using file-system events.
	Poll bool
	// Interval is the polling period (default 1s).
	Interval time.Duration
	// Debounce is the quiet time after the last change before the action
	// runs (default 200ms).
	Debounce time.Duration
	// Match selects the files that count, by base name; nil means Go
	// source files (*.go).
	Match func(name string) bool
	// Log receives one line when Watch falls back to polling; nil
	// discards it.
	Log io.Writer
}

func (o *Options) defaults() {
	if o.Interval <= 0 {
		o.Interval = time.Second
	}
	if o.Debounce <= 0 {
		o.Debounce = 200 * time.Millisecond
	}
	if o.Match == nil {
		o.Match = func(name string) bool { return strings.HasSuffix(name, ".go") }
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
}

// Watch runs action once, then again after every change to a matching
// file in dirs (changed names the files, sorted), until ctx is done; it
// then returns nil. Changes made while the action runs lead to one more
// run after it. An error means the folders could not be read.
func Watch(ctx context.Context, dirs []string, opt Options, action func(ctx context.Context, changed []string)) error {
	opt.defaults()
	for _, d := range dirs {
		if st, err := os.Stat(d); err != nil {
			return err
		} else if !st.IsDir() {
			return fmt.Errorf("watch: %s is not a folder", d)
		}
	}
	var src source
	if !opt.Poll {
		s, err := newEventSource(dirs, opt.Match)
		if err == nil {
			src = s
		} else {
			fmt.Fprintf(opt.Log, "file events do not work here (%v): polling every %v instead\n", err, opt.Interval)
		}
	}
	if src == nil {
		s, err := newPollSource(dirs, opt.Match, opt.Interval)
		if err != nil {
			return err
		}
		src = s
	}
	defer src.close()

	action(ctx, nil)
	for {
		// Wait for a change, then for quiet.
		changed := map[string]bool{}
		select {
		case <-ctx.Done():
			return nil
		case name := <-src.changes():
			changed[name] = true
		}
		quiet := time.NewTimer(opt.Debounce)
	debounce:
		for {
			select {
			case <-ctx.Done():
				quiet.Stop()
				return nil
			case name := <-src.changes():
				changed[name] = true
				quiet.Reset(opt.Debounce) // Go 1.23 timers: no stale tick to drain
			case <-quiet.C:
				break debounce
			}
		}
		var names []string
		for n := range changed {
			names = append(names, n)
		}
		sort.Strings(names)
		action(ctx, names)
	}
}

// A source reports the paths of changed files.
type source interface {
	changes() <-chan string
	close()
}

// eventSource turns fsnotify events on the folders into changes.
type eventSource struct {
	w    *fsnotify.Watcher
	out  chan string
	done chan struct{}
}

func newEventSource(dirs []string, match func(string) bool) (*eventSource, error) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	for _, d := range dirs {
		if err := w.Add(d); err != nil {
			w.Close()
			return nil, err
		}
	}
	s := &eventSource{w: w, out: make(chan string, 64), done: make(chan struct{})}
	go func() {
		for {
			select {
			case <-s.done:
				return
			case ev, ok := <-w.Events:
				if !ok {
					return
				}
				// Chmod alone is not a save (some tools touch attributes).
				if ev.Op == fsnotify.Chmod || !match(filepath.Base(ev.Name)) {
					continue
				}
				select {
				case s.out <- ev.Name:
				case <-s.done:
					return
				}
			case _, ok := <-w.Errors:
				if !ok {
					return
				}
			}
		}
	}()
	return s, nil
}

func (s *eventSource) changes() <-chan string { return s.out }
func (s *eventSource) close()                 { close(s.done); s.w.Close() }

// pollSource compares snapshots of the folders every interval.
type pollSource struct {
	out  chan string
	done chan struct{}
}

type fileState struct {
	mod  time.Time
	size int64
	sum  [sha256.Size]byte
}

func newPollSource(dirs []string, match func(string) bool, every time.Duration) (*pollSource, error) {
	prev, err := snapshot(dirs, match)
	if err != nil {
		return nil, err
	}
	s := &pollSource{out: make(chan string, 64), done: make(chan struct{})}
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-s.done:
				return
			case <-t.C:
			}
			cur, err := snapshot(dirs, match)
			if err != nil {
				continue // a folder renamed away for a moment: look again
			}
			for _, name := range diff(prev, cur) {
				select {
				case s.out <- name:
				case <-s.done:
					return
				}
			}
			prev = cur
		}
	}()
	return s, nil
}

func (s *pollSource) changes() <-chan string { return s.out }
func (s *pollSource) close()                 { close(s.done) }

// snapshot reads the state of every matching file in dirs.
func snapshot(dirs []string, match func(string) bool) (map[string]fileState, error) {
	m := map[string]fileState{}
	for _, d := range dirs {
		ents, err := os.ReadDir(d)
		if err != nil {
			return nil, err
		}
		for _, e := range ents {
			if e.IsDir() || !match(e.Name()) {
				continue
			}
			p := filepath.Join(d, e.Name())
			info, err := e.Info()
			if err != nil {
				continue // removed meanwhile
			}
			b, err := os.ReadFile(p)
			if err != nil {
				continue
			}
			m[p] = fileState{mod: info.ModTime(), size: info.Size(), sum: sha256.Sum256(b)}
		}
	}
	return m, nil
}

// diff lists the files added, removed or changed between two snapshots.
// The hash catches a change that keeps the size within the file system's
// time resolution.
func diff(a, b map[string]fileState) []string {
	var out []string
	for p, sb := range b {
		if sa, ok := a[p]; !ok || sa != sb {
			out = append(out, p)
		}
	}
	for p := range a {
		if _, ok := b[p]; !ok {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}
