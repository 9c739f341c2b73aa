package grading

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"nnkit/checker"
)

// SubmitOptions configure Submit.
type SubmitOptions struct {
	// Out is the folder the zip is written to; empty means root.
	Out string
	// Go is the go command; empty means "go".
	Go string
}

// Submit packs the student's work under root (the four exercise packages
// and conceptual/answers) into Out/ID_assignment2.zip, named as the
// course requires. It first checks the ID, that every file is there and
// that every package compiles; the zip is written to a temporary file and
// renamed, so it is never left half written. It returns the zip's path
// and the names in it.
func Submit(ctx context.Context, root, id string, opt SubmitOptions) (string, []string, error) {
	if err := ValidID(id); err != nil {
		return "", nil, err
	}
	if opt.Out == "" {
		opt.Out = root
	}
	if opt.Go == "" {
		opt.Go = "go"
	}
	files := map[string][]byte{}
	var missing []string
	for _, p := range Parts() {
		kp := filepath.Join(root, filepath.FromSlash(KitPath(p)))
		if strings.HasPrefix(string(p), "task") {
			names, _ := filepath.Glob(filepath.Join(kp, "*.go"))
			var srcs [][]byte
			var bases []string
			for _, n := range names {
				if strings.HasSuffix(n, "_test.go") {
					continue
				}
				b, err := os.ReadFile(n)
				if err != nil {
					return "", nil, err
				}
				srcs = append(srcs, b)
				bases = append(bases, filepath.Base(n))
			}
			if len(srcs) == 0 {
				missing = append(missing, KitPath(p)+"/*.go")
				continue
			}
			merged, err := MergeGo(bases, srcs)
			if err != nil {
				return "", nil, fmt.Errorf("%s: %v", KitPath(p), err)
			}
			files[FileName(p, id)] = merged
			continue
		}
		b, err := os.ReadFile(kp)
		if err != nil {
			missing = append(missing, KitPath(p))
			continue
		}
		files[FileName(p, id)] = b
	}
	if len(missing) > 0 {
		return "", nil, fmt.Errorf("cannot submit: missing %s (every task and every conceptual answer file must be there, even unfinished)", strings.Join(missing, ", "))
	}
	pkgs := []string{"./conceptual/answers"}
	for _, t := range Tasks {
		pkgs = append(pkgs, "./exercises/"+t)
	}
	cmd := exec.CommandContext(ctx, opt.Go, append([]string{"build", "-o", os.DevNull}, pkgs...)...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", nil, fmt.Errorf("cannot submit: your code does not compile (fix it, or stub the function out, and submit again):\n%s", strings.TrimSpace(string(out)))
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	var names []string
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: n, Method: zip.Deflate, Modified: time.Now()})
		if err != nil {
			return "", nil, err
		}
		if _, err := w.Write(files[n]); err != nil {
			return "", nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return "", nil, err
	}
	if err := os.MkdirAll(opt.Out, 0o755); err != nil {
		return "", nil, err
	}
	dst := filepath.Join(opt.Out, ZipName(id))
	if err := checker.WriteFileAtomic(dst, buf.Bytes(), 0o644); err != nil {
		return "", nil, err
	}
	return dst, names, nil
}
