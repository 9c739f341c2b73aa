package render

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
)

// pdfFacts is what the strict reader below learns of a PDF.
type pdfFacts struct {
	pages int    // /Type /Page objects
	count int    // /Count of the root /Pages
	text  []byte // every content stream, inflated, concatenated
}

var (
	startxrefRE = regexp.MustCompile(`startxref\s+(\d+)\s+%%EOF\s*$`)
	xrefHeadRE  = regexp.MustCompile(`^xref\s+0 (\d+)\s+`)
	xrefEntryRE = regexp.MustCompile(`^(\d{10}) (\d{5}) ([nf])[ \r]\n`)
	pageRE      = regexp.MustCompile(`/Type\s*/Page[^s]`)
	countRE     = regexp.MustCompile(`/Type\s*/Pages\s*/Kids\s*\[[^\]]*\]\s*/Count\s+(\d+)`)
	streamRE    = regexp.MustCompile(`(?s)<<([^>]*(?:>>[^>]*)?)>>\s*stream\r?\n`)
)

// readPDF checks b the way a strict reader would, independently of fpdf:
// the header, the trailer, that every xref offset points at its
// "N 0 obj", that every Flate stream inflates; and returns the pages and
// the text.
func readPDF(t *testing.T, b []byte) pdfFacts {
	t.Helper()
	if !bytes.HasPrefix(b, []byte("%PDF-1.")) {
		t.Fatalf("the file does not start with %%PDF-1.: %q", b[:min(len(b), 16)])
	}
	m := startxrefRE.FindSubmatch(b)
	if m == nil {
		t.Fatalf("no startxref ... %%%%EOF at the end: %q", b[max(0, len(b)-64):])
	}
	off, _ := strconv.Atoi(string(m[1]))
	if off >= len(b) {
		t.Fatalf("startxref %d is past the end (%d bytes)", off, len(b))
	}
	x := b[off:]
	h := xrefHeadRE.FindSubmatch(x)
	if h == nil {
		t.Fatalf("startxref %d does not point at an xref table: %q", off, x[:min(len(x), 32)])
	}
	n, _ := strconv.Atoi(string(h[1]))
	x = x[len(h[0]):]
	for i := range n {
		e := xrefEntryRE.FindSubmatch(x)
		if e == nil {
			t.Fatalf("xref entry %d is malformed: %q", i, x[:min(len(x), 20)])
		}
		x = x[len(e[0]):]
		if string(e[3]) == "f" {
			continue
		}
		o, _ := strconv.Atoi(string(e[1]))
		want := fmt.Sprintf("%d 0 obj", i)
		if o >= len(b) || !bytes.HasPrefix(b[o:], []byte(want)) {
			t.Fatalf("xref entry %d points at offset %d, which does not hold %q: %q", i, o, want, b[o:min(len(b), o+20)])
		}
	}
	var f pdfFacts
	f.pages = len(pageRE.FindAll(b, -1))
	if c := countRE.FindSubmatch(b); c != nil {
		f.count, _ = strconv.Atoi(string(c[1]))
	} else {
		t.Fatal("no /Type /Pages object with /Kids and /Count")
	}
	for _, loc := range streamRE.FindAllSubmatchIndex(b, -1) {
		dict := b[loc[2]:loc[3]]
		body := b[loc[1]:]
		end := bytes.Index(body, []byte("endstream"))
		if end < 0 {
			t.Fatal("a stream without endstream")
		}
		body = body[:end]
		if bytes.Contains(dict, []byte("/FlateDecode")) {
			zr, err := zlib.NewReader(bytes.NewReader(body))
			if err != nil {
				t.Fatalf("a Flate stream (%s) does not inflate: %v", dict, err)
			}
			if body, err = io.ReadAll(zr); err != nil {
				t.Fatalf("a Flate stream (%s) does not inflate: %v", dict, err)
			}
		}
		f.text = append(f.text, body...)
	}
	return f
}

// shown is s as fpdf writes it in a content stream with a Unicode font:
// UTF-16BE, with the PDF string escapes.
func shown(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u>>8), byte(u))
	}
	r := strings.NewReplacer(`\`, `\\`, `(`, `\(`, `)`, `\)`, "\r", `\r`)
	return []byte(r.Replace(string(b)))
}

// linesPerPage are the printed lines on a section's first page and on
// the pages after it.
func linesPerPage() (first, next int) {
	bottom := 841.89 - margin
	return int((bottom - margin - headSize - lineHeight) / lineHeight), int((bottom - margin) / lineHeight)
}

func render(t *testing.T, secs []Section, opt Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Render(&buf, secs, opt); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// filled is a complete answer set, with the math written as students
// write it (Unicode and LaTeX-ish), and a script the font lacks.
func filled(t *testing.T) string {
	dir := t.TempDir()
	files := map[string]string{
		"answers.txt": "p3.parameters = 545098\np5.W = [[1.003, -0.003], [0.003, -1.003]]\np5.B = [0.003, -0.003]\n",
		"p1.go":       "package answers\n\n// S is dL/dS.\nfunc S(dP [][]float64) [][]float64 {\n\tfor i := range dP {\n\t\t_ = i\n\t}\n\treturn nil\n}\n",
		"p2.md":       "# Problem 2\n\n### Your answer\n\nOne-stage: faster, one pass; NMS removes duplicates (IoU ≥ 0.5).\n",
		"p4.md":       "∂E/∂z_i = q_i − p_i, so ∑_i ∂E/∂z_i = 0; $\\frac{\\partial E}{\\partial w_{ij}} = (q_i - p_i) x_j$ σ(x)=1/(1+e^{−x}) 中文\n",
		"p6.md":       "‖∂h_T/∂h_k‖ ≤ ∏ ‖W^h‖·‖σ'‖ → 0 when ‖W^h‖ < 4: vanishing; → ∞ otherwise.\n",
	}
	for n, s := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestRenderAnswers(t *testing.T) {
	day := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	lines := func(n int) []byte { return bytes.Repeat([]byte("x = 1\n"), n-1) } // n lines: the last is empty
	first, next := linesPerPage()
	width := 595.28 - 2*margin
	cols := int(width / (fontSize * monoAdvance))
	cases := []struct {
		name       string
		secs       []Section
		compressed bool
		pages      int      // 0: at least 6
		shows      []string // text that must be in the pages
		hides      []string // text that must not be
	}{
		{name: "the kit's stubs", secs: AnswerSections("../answers"), compressed: true,
			shows: []string{"3180100111", "Problem 1 (p1.go)", "p3.parameters =", "package answers"}},
		{name: "a filled answer set", secs: AnswerSections(filled(t)), pages: 6,
			shows: []string{"3180100111", "2026-12-07", "∂E/∂z_i = q_i − p_i", "||∂h_T/∂h_k|| ≤ ∏", "σ(x)=1/(1+e^{−x}) ??", "func S(dP [][]float64)", "        _ = i"},
			hides: []string{"中", "‖"}},
		{name: "a file missing", secs: AnswerSections(t.TempDir())[:1], pages: 2,
			shows: []string{"(not submitted: open "}},
		{name: "a section that fills its first page exactly", secs: []Section{{"A", lines(first)}}, pages: 2},
		{name: "one line more takes a page more", secs: []Section{{"A", lines(first + 1)}}, pages: 3},
		{name: "three pages", secs: []Section{{"A", lines(first + 2*next)}}, pages: 4},
		{name: "a long line wraps", secs: []Section{{"A", bytes.Repeat([]byte("y"), cols*first+1)}}, pages: 3,
			shows: []string{strings.Repeat("y", cols)}, hides: []string{strings.Repeat("y", cols+1)}},
		{name: "an empty section still has its page", secs: []Section{{"A", nil}, {"B", nil}}, pages: 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := render(t, c.secs, Options{ID: "3180100111", Date: day, Uncompressed: !c.compressed})
			f := readPDF(t, b)
			if f.pages != f.count {
				t.Errorf("%d /Page objects, but /Pages says /Count %d", f.pages, f.count)
			}
			if c.pages > 0 && f.pages != c.pages || c.pages == 0 && f.pages < 6 {
				t.Errorf("%d pages, want %d (0: at least 6)", f.pages, c.pages)
			}
			for _, s := range c.shows {
				if !bytes.Contains(f.text, shown(s)) {
					t.Errorf("the pages do not show %q", s)
				}
			}
			for _, s := range c.hides {
				if bytes.Contains(f.text, shown(s)) {
					t.Errorf("the pages show %q", s)
				}
			}
		})
	}
}

// TestRenderHostile: whatever the answer files hold, Render returns a
// readable PDF within the page limit, and says where it stopped.
func TestRenderHostile(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, MaxSectionBytes)
	for i := range random {
		random[i] = byte(rng.UintN(256))
	}
	invalid := bytes.Repeat([]byte{0xff, 0xfe, 0xc3, '(', 0xe2, 0x82, ')', '\\', 0, '\r', 0xf0, 0x9f, 0x98, 0x80, '\t', '\n'}, 4096)
	huge := filepath.Join(t.TempDir(), "answers.txt")
	if err := os.WriteFile(huge, bytes.Repeat([]byte("A"), 3*MaxSectionBytes), 0o644); err != nil {
		t.Fatal(err)
	}
	hugeSecs := AnswerSections(filepath.Dir(huge))
	cases := []struct {
		name     string
		secs     []Section
		maxPages int
		pages    int
		stops    bool // the limit is reached: the last page says so
	}{
		{"binary noise", []Section{{"noise", random}}, 0, DefaultMaxPages, true},
		{"invalid UTF-8, NUL, emoji, escapes", []Section{{"bytes", invalid}}, 10, 10, true},
		{"one line of a megabyte", []Section{{"line", bytes.Repeat([]byte("(\\)"), MaxSectionBytes/3)}}, 5, 5, true},
		{"a file over the read limit", hugeSecs, 3, 3, true},
		{"more sections than pages", []Section{{"a", nil}, {"b", nil}, {"c", nil}, {"d", nil}}, 3, 3, true},
		{"a hostile title", []Section{{"\x00\xff(\\", []byte("x")}}, 0, 2, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := readPDF(t, render(t, c.secs, Options{ID: "3180100111", MaxPages: c.maxPages, Uncompressed: true}))
			if f.pages != c.pages || f.count != c.pages {
				t.Errorf("%d pages (/Count %d), want %d", f.pages, f.count, c.pages)
			}
			if got := bytes.Contains(f.text, shown("stopped at the limit")); got != c.stops {
				t.Errorf("the note that the document stops at the limit: shown %v, want %v", got, c.stops)
			}
		})
	}
}
