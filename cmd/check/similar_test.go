package main

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSimilarCmd runs check similar on three submissions: a solution, a
// renamed copy of it and an untouched stub. The pair of copies is the
// one row of the CSV, the HTML is written, and misuses exit 2.
func TestSimilarCmd(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	sol, err := os.ReadFile(filepath.Join(root, "solutions/task2/task2.go"))
	if err != nil {
		t.Skipf("no reference solution here: %v", err)
	}
	stub, err := os.ReadFile(filepath.Join(root, "exercises/task2/task2.go"))
	if err != nil {
		t.Fatal(err)
	}
	subs := t.TempDir()
	for id, text := range map[string]string{
		"3180100001": string(sol),
		"3180100002": strings.NewReplacer("net", "model", "batchSize", "bs").Replace(string(sol)),
		"3180100003": string(stub),
	} {
		if err := os.MkdirAll(filepath.Join(subs, id), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(subs, id, "task2_"+id+".go"), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(root)
	out := filepath.Join(t.TempDir(), "sim")
	code, stdout, stderr := runCheck(t, "similar", subs, "-out", out)
	if code != 0 {
		t.Fatalf("check similar: exit %d, stderr %q", code, stderr)
	}
	if !strings.Contains(stdout, "3180100001   3180100002   score 1.00") {
		t.Errorf("the summary does not rank the copied pair first with score 1:\n%s", stdout)
	}
	f, err := os.Open(filepath.Join(out, "similarity.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[1][0] != "task2" || rows[1][1] != "3180100001" || rows[1][2] != "3180100002" || rows[1][3] != "1.000" {
		t.Errorf("similarity.csv holds %q: expected the header and the one pair task2 3180100001 3180100002 scoring 1.000", rows)
	}
	if b, err := os.ReadFile(filepath.Join(out, "similarity.html")); err != nil || !strings.HasPrefix(string(b), "<!DOCTYPE html>") {
		t.Errorf("similarity.html: %v, or not an HTML page", err)
	}
	for _, args := range [][]string{{"similar", subs}, {"similar", "-out", out}, {"similar", subs, "-out", out, "-min", "2"}, {"similar", subs, "-out", out, "-k", "0"}} {
		if code, _, _ := runCheck(t, args...); code != 2 {
			t.Errorf("check %q: exit %d, expected 2 (a misuse)", args, code)
		}
	}
	if code, _, stderr := runCheck(t, "similar", filepath.Join(subs, "nothing"), "-out", out); code != 1 || !strings.Contains(stderr, "does not exist") {
		t.Errorf("check similar on a missing folder: exit %d, stderr %q; expected 1 saying it does not exist", code, stderr)
	}
}
