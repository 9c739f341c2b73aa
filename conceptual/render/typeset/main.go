// Typeset writes the PDF of a student's conceptual answers (see
// nnkit/conceptual/render) to a file:
//
//	typeset -answers conceptual/answers -id 3180100111 [-date RFC3339] -o conceptual.pdf
//
// `check submit` builds and runs it (nnkit/checker/grading.Submit) rather
// than linking the PDF library and its fonts into check, whose first
// build every student waits for.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"nnkit/conceptual/render"
)

func main() {
	answers := flag.String("answers", "", "the answers folder (conceptual/answers)")
	id := flag.String("id", "", "the student ID")
	date := flag.String("date", "", "the title page's date, RFC 3339 (default: now)")
	out := flag.String("o", "", "the PDF file to write")
	flag.Parse()
	if *answers == "" || *id == "" || *out == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: typeset -answers DIR -id ID [-date RFC3339] -o FILE")
		os.Exit(2)
	}
	if err := typeset(*answers, *id, *date, *out); err != nil {
		fmt.Fprintln(os.Stderr, "typeset:", err)
		os.Exit(1)
	}
}

func typeset(answers, id, date, out string) error {
	var opt = render.Options{ID: id}
	if date != "" {
		d, err := time.Parse(time.RFC3339Nano, date)
		if err != nil {
			return fmt.Errorf("-date %q: expected an RFC 3339 time such as 2026-05-04T10:00:00Z", date)
		}
		opt.Date = d
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	if err := render.Render(f, render.AnswerSections(answers), opt); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
