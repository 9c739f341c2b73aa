package checker

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// FixturesDir is where the fixtures live, relative to the module root.
const FixturesDir = "testdata/fixtures"

// ManifestFile lists the SHA-256 of every fixture file in sha256sum's
// format, so `sha256sum -c MANIFEST` checks them too.
const ManifestFile = "MANIFEST"

// GenerateAllFixtures records the fixtures of every task (see
// GenerateFixtures) and returns the files: TASK.json and MANIFEST.
func GenerateAllFixtures(log io.Writer) (map[string][]byte, error) {
	files := map[string][]byte{}
	var manifest bytes.Buffer
	for _, t := range Tasks() {
		if log != nil {
			fmt.Fprintf(log, "recording the reference calls of %s\n", t.Name)
		}
		f, err := t.GenerateFixtures()
		if err != nil {
			return nil, err
		}
		b, err := f.Marshal()
		if err != nil {
			return nil, err
		}
		name := t.Name + ".json"
		files[name] = b
		fmt.Fprintf(&manifest, "%s  %s\n", sha256Hex(b), name)
	}
	files[ManifestFile] = manifest.Bytes()
	return files, nil
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// WriteFixtures writes files into dir, each through a temporary file and
// a rename, and removes fixture files that no task has any more.
func WriteFixtures(dir string, files map[string][]byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, b := range files {
		if err := WriteFileAtomic(filepath.Join(dir, name), b, 0o644); err != nil {
			return err
		}
	}
	old, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	for _, p := range old {
		if _, ok := files[filepath.Base(p)]; !ok {
			if err := os.Remove(p); err != nil {
				return err
			}
		}
	}
	return nil
}

// WriteFileAtomic writes b to name through a temporary file in the same
// directory and a rename, so that name is never half written.
func WriteFileAtomic(name string, b []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), name)
}

// VerifyFixtures checks the fixtures in dir: every task has its file,
// every file's stamp (format, kit version, SHA-256 of the content)
// holds, and MANIFEST lists the hash of every file. With regenerate,
// it also records the fixtures afresh and fails on any file that comes
// out different (stale: the solutions or the checks changed since).
// The error lists every problem, each with its file.
func VerifyFixtures(dir string, regenerate bool) error {
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", filepath.Join(dir, name), fmt.Sprintf(format, args...)))
	}
	manifest := map[string]string{}
	if b, err := os.ReadFile(filepath.Join(dir, ManifestFile)); err != nil {
		bad(ManifestFile, "%v (run `check fixtures`)", err)
	} else {
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			sum, name, ok := strings.Cut(sc.Text(), "  ")
			if !ok {
				bad(ManifestFile, "malformed line %q", sc.Text())
				continue
			}
			manifest[name] = sum
		}
	}
	onDisk := map[string][]byte{}
	for _, t := range Tasks() {
		name := t.Name + ".json"
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			bad(name, "missing (run `check fixtures`)")
			continue
		}
		onDisk[name] = b
		f, err := ParseFixtureFile(b)
		switch {
		case err != nil:
			bad(name, "%v", err)
		case f.Task != t.Name:
			bad(name, "holds the fixtures of %s", f.Task)
		}
		if sum, ok := manifest[name]; !ok {
			bad(name, "not in %s", ManifestFile)
		} else if sum != sha256Hex(b) {
			bad(name, "altered: its SHA-256 is %.16s..., %s says %.16s...", sha256Hex(b), ManifestFile, sum)
		}
	}
	names := make([]string, 0, len(manifest))
	for name := range manifest {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if _, ok := onDisk[name]; !ok && LookupTask(strings.TrimSuffix(name, ".json")) == nil {
			bad(name, "listed in %s, but no task has it", ManifestFile)
		}
	}
	if regenerate {
		fresh, err := GenerateAllFixtures(nil)
		if err != nil {
			return errors.Join(append(errs, err)...)
		}
		for _, t := range Tasks() {
			name := t.Name + ".json"
			if b, ok := onDisk[name]; ok && !bytes.Equal(b, fresh[name]) {
				bad(name, "stale: recording the reference again gives different content (the solutions or the checks changed): run `check fixtures`")
			}
		}
	}
	return errors.Join(errs...)
}
