package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"strings"
	"unicode"

	"nnkit/checker"
	"nnkit/checker/similar"
)

// similarCmd is `check similar [flags] SUBMISSIONS -out DIR`: the
// similarity of every pair of submissions per task, into
// DIR/similarity.csv and DIR/similarity.html.
func similarCmd(args []string, stdout io.Writer) (int, error) {
	fs := flag.NewFlagSet("similar", flag.ContinueOnError)
	out := fs.String("out", "", "the folder to write similarity.csv and similarity.html into (required)")
	k := fs.Int("k", similar.DefaultK, "normalised tokens in a k-gram: the shortest match that counts")
	window := fs.Int("window", similar.DefaultWindow, "winnowing window, in k-grams: a shared run of k+window-1 tokens is always found")
	minScore := fs.Float64("min", 0, "leave out the pairs scoring below this (0 to 1; 0: every pair that shares a fingerprint)")
	common := fs.Float64("common", similar.DefaultCommon, "ignore, as common code, what more than this share of the students (and more than 20) wrote alike")
	jobs := fs.Int("jobs", 0, "goroutines (default: one per core)")
	pos, err := parse(fs, args)
	if err != nil {
		return 2, err
	}
	if *out == "" || len(pos) != 1 {
		log.Print("usage: check similar [-k N] [-window N] [-min S] [-common S] [-jobs N] SUBMISSIONS -out DIR")
		return 2, errUsage
	}
	if *k < 1 || *window < 1 || *minScore < 0 || *minScore > 1 || *common <= 0 || *common > 1 {
		log.Printf("-k %d -window %d -min %g -common %g: expected k and window at least 1, min in [0, 1], common in (0, 1]", *k, *window, *minScore, *common)
		return 2, errUsage
	}
	kit, err := checker.FindRoot(".")
	if err != nil {
		return 1, err
	}
	opt := similar.Options{K: *k, Window: *window, Min: *minScore, Common: *common, Jobs: *jobs}
	return 0, writeSimilarity(pos[0], *out, kit, opt, stdout)
}

// writeSimilarity compares the submissions at subs, the kit's code at
// kit subtracted, writes out/similarity.csv and out/similarity.html, and
// prints the most similar pairs. check grade calls it at its end.
func writeSimilarity(subs, out, kit string, opt similar.Options, w io.Writer) error {
	students, warnings, err := similar.Load(subs)
	if err != nil {
		return err
	}
	for _, m := range warnings {
		log.Printf("similar: warning: %s", m)
	}
	base, err := similar.KitBase(kit)
	if err != nil {
		return err
	}
	r, err := similar.Compare(students, base, opt)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	var csvBuf, htmlBuf bytes.Buffer
	if err := similar.WriteCSV(&csvBuf, r); err != nil {
		return err
	}
	if err := similar.WriteHTML(&htmlBuf, r); err != nil {
		return err
	}
	csvPath, htmlPath := filepath.Join(out, "similarity.csv"), filepath.Join(out, "similarity.html")
	if err := checker.WriteFileAtomic(csvPath, csvBuf.Bytes(), 0o644); err != nil {
		return err
	}
	if err := checker.WriteFileAtomic(htmlPath, htmlBuf.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(w, "similarity: %d students with Go code, %d pair(s) sharing code of their own (k=%d, window=%d)\n", len(r.Students), len(r.Pairs), r.K, r.Window)
	for i, p := range r.Pairs {
		if i == 10 {
			break
		}
		fmt.Fprintf(w, "  %-14s %-12s %-12s score %.2f  longest %d tokens\n", p.Task, printable(p.A), printable(p.B), p.Score, p.Longest)
	}
	fmt.Fprintf(w, "wrote %s and %s\n", csvPath, htmlPath)
	return nil
}

// printable replaces what a terminal would act on (escapes, CR,
// backspace) with '?': a key without an ID comes from a file name a
// student chose.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsGraphic(r) {
			return r
		}
		return '?'
	}, s)
}
