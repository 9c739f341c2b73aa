package watch

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// guard is how long a test waits for an event before failing: generous,
// for loaded machines; it is never a speed requirement.
const guard = 10 * time.Second

func TestWatchRerunsOnSave(t *testing.T) {
	for _, poll := range []bool{false, true} {
		name := "events"
		if poll {
			name = "poll"
		}
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, "task1.go")
			if err := os.WriteFile(file, []byte("package task1\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			runs := make(chan []string, 16)
			done := make(chan error, 1)
			go func() {
				done <- Watch(ctx, []string{dir}, Options{Poll: poll, Interval: 20 * time.Millisecond, Debounce: 20 * time.Millisecond},
					func(_ context.Context, changed []string) { runs <- changed })
			}()
			next := func(what string) []string {
				t.Helper()
				select {
				case c := <-runs:
					return c
				case err := <-done:
					t.Fatalf("%s: Watch returned %v", what, err)
				case <-time.After(guard):
					t.Fatalf("%s: no run within %v", what, guard)
				}
				return nil
			}
			if c := next("the first run"); c != nil {
				t.Errorf("first run with changes %v, want none", c)
			}
			// The poll snapshot must see a different mtime or content; the
			// content changes every time, so the hash does.
			time.Sleep(50 * time.Millisecond)

			// A save in place.
			if err := os.WriteFile(file, []byte("package task1\n\n// edited\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			if c := next("a save in place"); !slices.Contains(c, file) {
				t.Errorf("changed %v, want %s", c, file)
			}

			// A save by renaming a temporary file over the original, as
			// vim and many IDEs do.
			tmp := filepath.Join(dir, ".task1.go.tmp")
			if err := os.WriteFile(tmp, []byte("package task1\n\n// saved by rename\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(tmp, file); err != nil {
				t.Fatal(err)
			}
			if c := next("a rename-save"); !slices.Contains(c, file) {
				t.Errorf("changed %v, want %s", c, file)
			}

			// Another file type does not count.
			if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
			select {
			case c := <-runs:
				t.Errorf("a run for a non-Go file: %v", c)
			case <-time.After(200 * time.Millisecond):
			}

			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Watch returned %v after cancel", err)
				}
			case <-time.After(guard):
				t.Fatal("Watch did not stop after cancel")
			}
		})
	}
}

func TestWatchMissingFolder(t *testing.T) {
	err := Watch(context.Background(), []string{filepath.Join(t.TempDir(), "nope")}, Options{}, func(context.Context, []string) {})
	if err == nil {
		t.Fatal("no error for a missing folder")
	}
}

func TestDiff(t *testing.T) {
	a := map[string]fileState{"x": {size: 1}, "y": {size: 2}}
	b := map[string]fileState{"x": {size: 1}, "y": {size: 3}, "z": {}}
	if got := diff(a, b); !slices.Equal(got, []string{"y", "z"}) {
		t.Errorf("diff = %v", got)
	}
	if got := diff(b, a); !slices.Equal(got, []string{"y", "z"}) {
		t.Errorf("reverse diff = %v", got)
	}
}
