package checker

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"nnkit/tensor"
)

// FixturesDir is where the fixtures live, relative to the module root:
// beside the checker that records, verifies and (in the student copy,
// through go:embed, see checker/distrib) replays them. They are read by
// non-test code, so they are not under a testdata folder.
const FixturesDir = "checker/fixtures"

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
			b, ok := onDisk[name]
			if !ok || bytes.Equal(b, fresh[name]) {
				continue
			}
			if why := fixturesDiffer(b, fresh[name]); why != "" {
				bad(name, "stale: recording the reference again gives different content (%s): the solutions, the checks or the engine changed: run `check fixtures`", why)
			}
		}
	}
	return errors.Join(errs...)
}

// FixtureTol is how far a recorded float may be from a fresh recording
// and the file still count as up to date: the same calls with the same
// arguments, and results that differ only by the rounding of another
// CPU's kernels (AVX-512 and AVX2 sum in other orders), compounded over
// task 3's training steps. Anything else is stale.
const FixtureTol = 1e-4

// fixturesDiffer says how two fixture files differ beyond FixtureTol, or
// returns "".
func fixturesDiffer(a, b []byte) string {
	var fa, fb FixtureFile
	if json.Unmarshal(a, &fa) != nil || json.Unmarshal(b, &fb) != nil {
		return "unreadable"
	}
	if fa.KitVersion != fb.KitVersion || fa.Seed != fb.Seed || fa.Task != fb.Task {
		return "another kit version, seed or task"
	}
	if len(fa.Calls) != len(fb.Calls) {
		return "other reference functions called"
	}
	for name, ca := range fa.Calls {
		cb := fb.Calls[name]
		if len(ca) != len(cb) {
			return fmt.Sprintf("%s: %d calls recorded, %d now", name, len(ca), len(cb))
		}
		for i := range ca {
			if ca[i].Key != cb[i].Key {
				return fmt.Sprintf("%s: call %d has other arguments", name, i+1)
			}
			na := append(slices.Clone(ca[i].Out), ca[i].Post...)
			nb := append(slices.Clone(cb[i].Out), cb[i].Post...)
			if len(na) != len(nb) {
				return fmt.Sprintf("%s: call %d has other results", name, i+1)
			}
			for j := range na {
				if why := nodesDiffer(na[j], nb[j]); why != "" {
					return fmt.Sprintf("%s: call %d: %s", name, i+1, why)
				}
			}
		}
	}
	return ""
}

func nodesDiffer(a, b *fxNode) string {
	switch {
	case a == nil || b == nil:
		if a != b {
			return "a result is missing"
		}
		return ""
	case a.Nil != b.Nil || a.DType != b.DType || a.Str != b.Str || !slices.Equal(a.Dims, b.Dims) ||
		len(a.List) != len(b.List) || len(a.Fields) != len(b.Fields) || len(a.Bits) != len(b.Bits):
		return "other shapes or kinds of results"
	}
	if a.Net != nil || b.Net != nil {
		ja, _ := json.Marshal(a.Net)
		jb, _ := json.Marshal(b.Net)
		if !bytes.Equal(ja, jb) {
			return "another network"
		}
	}
	if !bytes.Equal(a.Bits, b.Bits) {
		var x, y []float64
		if a.DType == tensor.Float32.String() {
			x, y = f32s(a.Bits), f32s(b.Bits)
		} else if len(a.Bits)%8 == 0 {
			x, y = bitsF64(a.Bits), bitsF64(b.Bits)
		} else {
			return "other values"
		}
		for i := range x {
			// Below the normal floats (integers stored as bits, zeros)
			// only equal bits agree.
			if math.Abs(x[i]) < 0x1p-1022 || math.Abs(y[i]) < 0x1p-1022 {
				if x[i] != y[i] {
					return "other values"
				}
				continue
			}
			if d := math.Abs(x[i] - y[i]); !(d <= FixtureTol*math.Max(math.Abs(x[i]), math.Abs(y[i]))) && !(a.DType == tensor.Float32.String() && d <= 1e-6) {
				return fmt.Sprintf("a value moved from %g to %g", x[i], y[i])
			}
		}
	}
	for i := range a.List {
		if why := nodesDiffer(a.List[i], b.List[i]); why != "" {
			return why
		}
	}
	for k, e := range a.Fields {
		if why := nodesDiffer(e, b.Fields[k]); why != "" {
			return k + ": " + why
		}
	}
	return ""
}

func f32s(b []byte) []float64 {
	out := make([]float64, len(b)/4)
	for i := range out {
		out[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:])))
	}
	return out
}
