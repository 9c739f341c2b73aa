package similar

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// CSVHeader names WriteCSV's columns.
var CSVHeader = []string{"task", "a", "b", "score", "share_a", "share_b", "longest_tokens", "longest_a", "longest_b", "matches"}

// WriteCSV writes one row per pair in the Result's order (score
// descending, then task, A, B): the shares as fractions with 3 decimals,
// the longest match as FILE:FROM-TO on each side, and the number of
// matches. Cells a spreadsheet would run as a formula are quoted.
func WriteCSV(w io.Writer, r *Result) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	f3 := func(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) }
	for _, p := range r.Pairs {
		la, lb := "", ""
		if len(p.Matches) > 0 {
			m := p.Matches[0]
			la, lb = spanText(r, p.Task, p.A, m.A), spanText(r, p.Task, p.B, m.B)
		}
		row := []string{p.Task, p.A, p.B, f3(p.Score), f3(p.ShareA), f3(p.ShareB), strconv.Itoa(p.Longest), la, lb, strconv.Itoa(len(p.Matches))}
		for i, c := range row {
			row[i] = csvCell(c)
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// spanText is FILE:FROM-TO for the span s of student id's task.
func spanText(r *Result, task, id string, s Span) string {
	name := "?"
	if fs := r.Files[id].Tasks[task]; s.File >= 0 && s.File < len(fs) {
		name = fs[s.File].Name
	}
	return fmt.Sprintf("%s:%d-%d", name, s.From, s.To)
}

// csvCell neutralises a cell a spreadsheet would take for a formula
// (as grading's grades.csv does): IDs and file names come from the
// submissions.
func csvCell(c string) string {
	if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
		return "'" + c
	}
	return c
}
