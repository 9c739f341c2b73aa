package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"nnkit/checker"
	conceptual "nnkit/conceptual/grade"
)

// CacheEnv, when set, is the folder where check keeps the last results
// of every checked folder, in place of the user's cache folder (tests set
// it).
const CacheEnv = "NNKIT_CACHE_DIR"

// lastRun is what check remembers of the last grading of one folder, for
// `check list`. It lives under the user's cache folder, never in the
// checked folder, and only ever feeds `check list`: it is a convenience
// for the student, not a grade.
type lastRun struct {
	Dir     string           `json:"dir"`
	When    time.Time        `json:"when"`
	Results []checker.Result `json:"results"`
}

// lastRunsDir is where the last results are kept: $NNKIT_CACHE_DIR, else
// nnkit/last under the user's cache folder.
func lastRunsDir() (string, error) {
	if d := os.Getenv(CacheEnv); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "nnkit", "last"), nil
}

// lastRunFile is the file that holds dir's last results: named by the
// SHA-256 of dir's absolute path, so any folder has one.
func lastRunFile(dir string) (string, string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", "", err
	}
	base, err := lastRunsDir()
	if err != nil {
		return "", "", err
	}
	h := sha256.Sum256([]byte(abs))
	return filepath.Join(base, hex.EncodeToString(h[:8])+".json"), abs, nil
}

// saveLastRun records the results of grading dir (without their long
// details).
func saveLastRun(dir string, results []checker.Result) error {
	file, abs, err := lastRunFile(dir)
	if err != nil {
		return err
	}
	run := lastRun{Dir: abs, When: time.Now()}
	for _, r := range results {
		r.Details = ""
		run.Results = append(run.Results, r)
	}
	b, err := json.MarshalIndent(run, "", "\t")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	tmp := file + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, file)
}

// loadLastRun returns dir's last results, or nil when it was never
// checked (or the record is not readable: list then shows "-").
func loadLastRun(dir string) *lastRun {
	file, abs, err := lastRunFile(dir)
	if err != nil {
		return nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil
	}
	var run lastRun
	if json.Unmarshal(b, &run) != nil || run.Dir != abs {
		return nil
	}
	return &run
}

// listCmd is `check list`: every task's rubric items with their points
// and the student's last known score, rustlings-style.
func listCmd(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("list", flag.ContinueOnError)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		log.Print("list takes no arguments")
		return errUsage
	}
	root, err := checker.FindRoot(".")
	if err != nil {
		return err
	}
	return writeList(w, root)
}

// rubricSection is one task of the list: its folder and its items.
type rubricSection struct {
	name, title, dir string
	items            []checker.Result // Item and Max only
}

// rubric returns the sections of the list, from the checker's own
// rubric: task1 .. task4, then the conceptual problems.
func rubric(root string) []rubricSection {
	var secs []rubricSection
	for _, t := range checker.Tasks() {
		s := rubricSection{name: t.Name, title: t.Title, dir: filepath.Join(root, "exercises", t.Name)}
		for _, it := range t.Items {
			s.items = append(s.items, checker.Result{Item: it.Name, Max: it.Points})
		}
		secs = append(secs, s)
	}
	// The conceptual items, as the grader lists them for a folder with no
	// answers (nothing of a student's runs here).
	s := rubricSection{name: "conceptual", title: "the six conceptual problems",
		dir: conceptual.AnswersDir(filepath.Join(root, "conceptual"))}
	for _, r := range conceptual.Grade(filepath.Join(root, "conceptual", "no such folder"), conceptual.P1Answers{}).Results {
		s.items = append(s.items, checker.Result{Item: r.Item, Max: r.Max})
	}
	return append(secs, s)
}

// writeList writes the list for the kit at root.
func writeList(w io.Writer, root string) error {
	var earned, checked, total float64
	next := ""
	for i, s := range rubric(root) {
		if i > 0 {
			fmt.Fprintln(w)
		}
		rel, err := filepath.Rel(root, s.dir)
		if err != nil {
			return err
		}
		rel = "./" + filepath.ToSlash(rel)
		last := loadLastRun(s.dir)
		when := "never checked"
		got := map[string]checker.Result{}
		if last != nil {
			when = "checked " + last.When.Local().Format("2006-01-02 15:04")
			for _, r := range last.Results {
				got[r.Item] = r
			}
		}
		fmt.Fprintf(w, "%s: %s (%s, %s)\n", s.name, s.title, rel, when)
		var secEarned, secMax float64
		for _, it := range s.items {
			total += it.Max
			secMax += it.Max
			score, status := "-", ""
			if r, ok := got[it.Item]; ok && r.Status != checker.HandGraded {
				score, status = points(r.Score), string(r.Status)
				earned += r.Score
				secEarned += r.Score
				checked += it.Max
				if r.Score < it.Max && next == "" {
					next = fmt.Sprintf("%s in %s: check %s", it.Item, rel, rel)
					if checker.HasHints(s.name, it.Item) {
						item := it.Item
						if strings.Contains(item, " ") {
							item = strconv.Quote(item)
						}
						next += fmt.Sprintf("\n      (hints: check hint %s %s)", s.name, item)
					}
				}
			} else if ok {
				status = "graded by hand, pending"
			}
			row(w, it.Item, score, points(it.Max), status)
		}
		if last != nil {
			row(w, "total", points(secEarned), points(secMax), "")
		}
	}
	if checked == 0 {
		fmt.Fprintf(w, "\nNothing checked yet (of %s points): start with check ./exercises/task1\n", points(total))
		return nil
	}
	fmt.Fprintf(w, "\n%s of the %s points checked so far earned (%s in all).\n", points(earned), points(checked), points(total))
	if next != "" {
		fmt.Fprintf(w, "next: %s\n", next)
	}
	return nil
}

// row writes one item of the list: at most 80 columns for the rubric's
// names and statuses.
func row(w io.Writer, item, score, max, status string) {
	fmt.Fprintln(w, strings.TrimRight(fmt.Sprintf("  %-30s %5s / %-3s %s", item, score, max, status), " "))
}

// points writes a score without trailing zeros: 3, 2.5.
func points(v float64) string { return fmt.Sprintf("%g", v) }
