package grading

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/build"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"nnkit/checker"
	conceptual "nnkit/conceptual/grade"
)

// SubmitOptions configure Submit.
type SubmitOptions struct {
	// Out is the folder the zip is written to; empty means root.
	Out string
	// Go is the go command; empty means "go".
	Go string
	// Date is the date on the PDF's title page; zero means now.
	Date time.Time
	// Kit is the nnkit module the PDF's typesetter is built from; empty
	// means root.
	Kit string
}

// Submitted is what Submit wrote.
type Submitted struct {
	Zip   string   // the zip's path
	Names []string // the names in it, sorted
	// OwnPDF is the student's own PDF taken as conceptual_ID.pdf (its
	// path), or "" when the PDF was rendered from the answer files.
	OwnPDF string
}

// MaxOwnPDF bounds a student's own PDF (a scan of handwritten answers).
const MaxOwnPDF = 20 << 20

// Submit packs the student's work under root into Out/ID_assignment2.zip
// as the course wants it: the five files task1_ID.go ... task4_ID.go and
// conceptual_ID.pdf at the top level (task 3's two files merged into
// one; the PDF rendered from conceptual/answers, or the student's own
// PDF when there is one there), and the auto-graded answer files under
// ID_answers/, where `check grade` reads them. It first checks the ID,
// that every file is there and that every package, and the merged task
// 3, compiles; the zip is written to a temporary file and renamed, so it
// is never left half written.
func Submit(ctx context.Context, root, id string, opt SubmitOptions) (Submitted, error) {
	if err := ValidID(id); err != nil {
		return Submitted{}, err
	}
	if opt.Out == "" {
		opt.Out = root
	}
	if opt.Go == "" {
		opt.Go = "go"
	}
	if opt.Kit == "" {
		opt.Kit = root
	}
	files := map[string][]byte{}
	var missing []string
	overlay := map[string]string{} // for the compile check of the merged files
	tmp, err := os.MkdirTemp("", "nnkit-submit-")
	if err != nil {
		return Submitted{}, err
	}
	defer os.RemoveAll(tmp)
	for _, p := range Parts() {
		kp := filepath.Join(root, filepath.FromSlash(KitPath(p)))
		if !strings.HasPrefix(string(p), "task") {
			b, err := readKitFile(kp, DefaultLimits.MaxFileSize)
			if errors.Is(err, fs.ErrNotExist) {
				missing = append(missing, KitPath(p))
				continue
			}
			if err != nil {
				return Submitted{}, err
			}
			files[AnswersFolder(id)+"/"+FileName(p, id)] = b
			continue
		}
		names, _ := filepath.Glob(filepath.Join(kp, "*.go"))
		var srcs [][]byte
		var bases, paths []string
		for _, n := range names {
			// Only what go build compiles: a file left out by a build
			// constraint (//go:build ignore, _windows.go) is not merged.
			if ok, err := build.Default.MatchFile(filepath.Dir(n), filepath.Base(n)); strings.HasSuffix(n, "_test.go") || err == nil && !ok {
				continue
			}
			b, err := readKitFile(n, DefaultLimits.MaxFileSize)
			if err != nil {
				return Submitted{}, err
			}
			if int64(len(b)) > DefaultLimits.MaxFileSize {
				return Submitted{}, fmt.Errorf("cannot submit: %s is larger than the %d bytes check grade reads of a file: shorten it", n, DefaultLimits.MaxFileSize)
			}
			srcs = append(srcs, b)
			bases = append(bases, filepath.Base(n))
			paths = append(paths, n)
		}
		if len(srcs) == 0 {
			missing = append(missing, KitPath(p)+"/*.go")
			continue
		}
		merged, err := MergeGo(bases, srcs)
		if err != nil {
			return Submitted{}, fmt.Errorf("%s: %v", KitPath(p), err)
		}
		files[FileName(p, id)] = merged
		if len(paths) > 1 {
			// The package is built from the merged file alone.
			m := filepath.Join(tmp, FileName(p, id))
			if err := os.WriteFile(m, merged, 0o644); err != nil {
				return Submitted{}, err
			}
			for i, n := range paths {
				abs, _ := filepath.Abs(n)
				overlay[abs] = ""
				if i == 0 {
					overlay[abs] = m
				}
			}
		}
	}
	if len(missing) > 0 {
		return Submitted{}, fmt.Errorf("cannot submit: missing %s (every task and every conceptual answer file must be there, even unfinished)", strings.Join(missing, ", "))
	}
	// What check grade would refuse to read is refused here.
	var total int64
	for _, n := range slices.Sorted(maps.Keys(files)) {
		b := files[n]
		if total += int64(len(b)); len(b) > int(DefaultLimits.MaxFileSize) || total > DefaultLimits.MaxTotal {
			return Submitted{}, fmt.Errorf("cannot submit: %s is %d bytes; check grade reads at most %d bytes of a file and %d in all: shorten it", n, len(b), DefaultLimits.MaxFileSize, DefaultLimits.MaxTotal)
		}
	}
	if err := buildAll(ctx, root, opt.Go, tmp, overlay); err != nil {
		return Submitted{}, err
	}
	answers := filepath.Join(root, "conceptual", "answers")
	pdf, own, err := ownPDF(answers)
	if err != nil {
		return Submitted{}, err
	}
	if own == "" {
		if pdf, err = typeset(ctx, opt.Kit, opt.Go, tmp, answers, id, opt.Date); err != nil {
			return Submitted{}, fmt.Errorf("cannot render %s: %v", PDFName(id), err)
		}
	}
	files[PDFName(id)] = pdf
	zb, names, err := packZip(files)
	if err != nil {
		return Submitted{}, err
	}
	if err := os.MkdirAll(opt.Out, 0o755); err != nil {
		return Submitted{}, err
	}
	dst := filepath.Join(opt.Out, ZipName(id))
	if err := checker.WriteFileAtomic(dst, zb, 0o644); err != nil {
		return Submitted{}, err
	}
	return Submitted{Zip: dst, Names: names, OwnPDF: own}, nil
}

// buildAll compiles the four exercise packages and the problem-1 answers,
// with the merged files in place of the files they merge (overlay).
func buildAll(ctx context.Context, root, gocmd, tmp string, overlay map[string]string) error {
	args := []string{"build", "-o", os.DevNull}
	if len(overlay) > 0 {
		b, err := json.Marshal(map[string]any{"Replace": overlay})
		if err != nil {
			return err
		}
		ov := filepath.Join(tmp, "overlay.json")
		if err := os.WriteFile(ov, b, 0o644); err != nil {
			return err
		}
		args = append(args, "-overlay", ov)
	}
	args = append(args, "./conceptual/answers")
	for _, t := range Tasks {
		args = append(args, "./exercises/"+t)
	}
	cmd := exec.CommandContext(ctx, gocmd, args...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("cannot submit: your code does not compile (fix it, or stub the function out, and submit again):\n%s", strings.TrimSpace(string(out)))
	}
	return nil
}

// typesetter is the program that renders the answers' PDF
// (nnkit/conceptual/render): built and run here rather than linked into
// check, whose first build every student waits for.
const typesetter = "./conceptual/render/typeset"

// typeset renders the answer files of the folder answers as the PDF
// conceptual_ID.pdf, dated date (zero: now), with the typesetter built
// from the kit at kit into tmp.
func typeset(ctx context.Context, kit, gocmd, tmp, answers, id string, date time.Time) ([]byte, error) {
	bin := filepath.Join(tmp, "typeset")
	build := exec.CommandContext(ctx, gocmd, "build", "-o", bin, typesetter)
	build.Dir = kit
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building the typesetter %s: %v\n%s", typesetter, err, strings.TrimSpace(string(out)))
	}
	pdf := filepath.Join(tmp, "answers.pdf")
	args := []string{"-answers", answers, "-id", id, "-o", pdf}
	if !date.IsZero() {
		args = append(args, "-date", date.Format(time.RFC3339Nano))
	}
	run := exec.CommandContext(ctx, bin, args...)
	if out, err := run.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("%v: %s", err, strings.TrimSpace(string(out)))
	}
	return os.ReadFile(pdf)
}

// ownPDF returns the student's own PDF in dir (conceptual/answers) and
// its path, or nothing when there is none. More than one, one that is
// not a PDF, or one over MaxOwnPDF is an error: the student meant it to
// be their answers.
func ownPDF(dir string) ([]byte, string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, "", nil
	}
	var pdfs []string
	for _, e := range ents {
		if strings.EqualFold(filepath.Ext(e.Name()), ".pdf") && !strings.HasPrefix(e.Name(), ".") {
			pdfs = append(pdfs, filepath.Join(dir, e.Name()))
		}
	}
	switch len(pdfs) {
	case 0:
		return nil, "", nil
	case 1:
	default:
		return nil, "", fmt.Errorf("cannot submit: conceptual/answers holds %d PDFs (%s): keep exactly one (your own answers, used as the conceptual PDF), or none (check submit renders one from your answer files)", len(pdfs), strings.Join(baseNames(pdfs), ", "))
	}
	p := pdfs[0]
	b, err := readKitFile(p, MaxOwnPDF)
	switch {
	case err != nil:
		return nil, "", err
	case len(b) > MaxOwnPDF:
		return nil, "", fmt.Errorf("cannot submit: %s is larger than %d MiB: scan at a lower resolution, or remove it (check submit then renders your answer files)", p, MaxOwnPDF>>20)
	case !bytes.HasPrefix(b, []byte("%PDF-")):
		return nil, "", fmt.Errorf("cannot submit: %s does not start with %%PDF-, found %q: it is not a PDF (export it as PDF, or remove it and check submit renders your answer files)", p, b[:min(len(b), 8)])
	}
	return b, p, nil
}

// readKitFile reads a file of the kit for Submit, following a link, but
// only a regular file (a named pipe or a device would never end), and
// at most limit+1 bytes (the caller refuses a file longer than limit).
func readKitFile(p string, limit int64) ([]byte, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("cannot submit: %s is not a regular file (%s)", p, st.Mode().Type())
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, limit+1))
}

func baseNames(ps []string) []string {
	var out []string
	for _, p := range ps {
		out = append(out, filepath.Base(p))
	}
	return out
}

// packZip packs files (slash paths) into a zip, in name order.
func packZip(files map[string][]byte) ([]byte, []string, error) {
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
			return nil, nil, err
		}
		if _, err := w.Write(files[n]); err != nil {
			return nil, nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, nil, err
	}
	return buf.Bytes(), names, nil
}

// SelfCheck grades the student's work under root as `check` does (the
// four exercise packages, then conceptual/answers), for Submit's caller
// to say what the zip would score before it is uploaded.
func SelfCheck(ctx context.Context, root string, timeout time.Duration) (checker.Report, error) {
	var rep checker.Report
	for _, t := range Tasks {
		r, err := checker.Check(ctx, filepath.Join(root, "exercises", t), checker.Options{Timeout: timeout})
		if err != nil {
			return rep, fmt.Errorf("%s: %v", t, err)
		}
		rep.Results = append(rep.Results, r.Results...)
	}
	r, err := conceptual.Check(ctx, filepath.Join(root, "conceptual", "answers"), conceptual.Options{})
	if err != nil {
		return rep, fmt.Errorf("conceptual: %v", err)
	}
	rep.Results = append(rep.Results, r.Results...)
	return rep, nil
}

// Shortfall says, for `check submit`, what a self-check scored: missing
// is "" at full marks on what check grades, else the score, each part
// that lost points and that the zip is written anyway; pending lists the
// items an instructor grades by hand (never counted as missing).
func Shortfall(rep checker.Report) (missing, pending string) {
	var score, max float64
	per := map[string][2]float64{}
	var order, hand []string
	var handPts float64
	for _, r := range rep.Results {
		if r.Status == checker.HandGraded {
			hand = append(hand, r.Item)
			handPts += r.Max
			continue
		}
		if _, ok := per[r.Task]; !ok {
			order = append(order, r.Task)
		}
		p := per[r.Task]
		per[r.Task] = [2]float64{p[0] + r.Score, p[1] + r.Max}
		score += r.Score
		max += r.Max
	}
	if len(hand) > 0 {
		pending = fmt.Sprintf("pending hand grading (%s points, not counted above): %s", fmtPts(handPts), strings.Join(hand, ", "))
	}
	if score >= max {
		return "", pending
	}
	var parts []string
	for _, t := range order {
		if p := per[t]; p[0] < p[1] {
			parts = append(parts, fmt.Sprintf("%s %s/%s", t, fmtPts(p[0]), fmtPts(p[1])))
		}
	}
	return fmt.Sprintf("warning: your work scores %s / %s on what check grades: %s — the zip is written anyway (you may submit partial work); fix and run check submit again",
		fmtPts(score), fmtPts(max), strings.Join(parts, ", ")), pending
}
