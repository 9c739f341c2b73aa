// Package render typesets a student's conceptual answers as the PDF the
// course asks for (conceptual_ID.pdf): a title page with the student ID
// and the date, then each answer file as written (the answers file, the
// problem-1 Go code, the prose answers with their math in plain text),
// in a monospaced font so that code and hand-aligned math keep their
// columns. `check submit` calls it; the auto-graded answers travel in
// the zip as files, so the PDF is for the course's hand graders only.
//
// The input is the student's and may be anything: every rune the font
// cannot show (control characters, NUL, invalid UTF-8, scripts outside
// Liberation Mono) is printed as '?', tabs are expanded, long lines are
// wrapped, and the document stops at a page limit with a note saying so.
package render

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"codeberg.org/go-fonts/liberation/liberationmonoregular"
	"codeberg.org/go-fonts/liberation/liberationsansbold"
	"codeberg.org/go-pdf/fpdf"
	"golang.org/x/image/font/sfnt"
)

// Section is one answer file: a heading and its text, printed as
// written.
type Section struct {
	Title string
	Text  []byte
}

// Options configure Render.
type Options struct {
	ID       string    // the student ID, on the title page and every page's footer
	Date     time.Time // the date on the title page (and the PDF's dates); zero: now
	MaxPages int       // the document stops here, saying so; 0: DefaultMaxPages
	// Uncompressed leaves the page streams as plain text (tests read
	// them).
	Uncompressed bool
}

// DefaultMaxPages bounds the PDF: the answers to six problems fit in a
// few pages; more means a pasted log or a hostile file.
const DefaultMaxPages = 40

// MaxSectionBytes is how much of one answer file is read: the rest is
// left out with a note (the page limit comes first for any real file).
const MaxSectionBytes = 1 << 20

// Layout in points, on A4.
const (
	margin      = 56.0
	fontSize    = 9.0
	lineHeight  = 11.0
	headSize    = 13.0
	tabWidth    = 4
	monoAdvance = 0.6 // Liberation Mono's advance width, in ems (every glyph)
)

// AnswerFiles are the files of conceptual/answers that go into the PDF,
// in order, with their headings.
var AnswerFiles = []struct{ Name, Title string }{
	{"answers.txt", "Problems 3 and 5 (answers.txt)"},
	{"p1.go", "Problem 1 (p1.go)"},
	{"p2.md", "Problem 2 (p2.md)"},
	{"p4.md", "Problem 4 (p4.md)"},
	{"p6.md", "Problem 6 (p6.md)"},
}

// AnswerSections reads the answer files of dir (conceptual/answers) as
// Sections; a file that cannot be read is a section saying so.
func AnswerSections(dir string) []Section {
	var secs []Section
	for _, a := range AnswerFiles {
		b, err := readCapped(filepath.Join(dir, a.Name))
		if err != nil {
			b = []byte(fmt.Sprintf("(not submitted: %v)", err))
		}
		secs = append(secs, Section{Title: a.Title, Text: b})
	}
	return secs
}

// readCapped reads at most MaxSectionBytes of the file p, with a note
// when there was more.
func readCapped(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxSectionBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxSectionBytes {
		b = append(b[:MaxSectionBytes], fmt.Sprintf("\n[... the file is longer than %d bytes: the rest is left out]\n", MaxSectionBytes)...)
	}
	return b, nil
}

// monoFont is Liberation Mono parsed, to ask which runes it can show.
var monoFont = sync.OnceValues(func() (*sfnt.Font, error) {
	return sfnt.Parse(liberationmonoregular.TTF)
})

// printable maps the runes the font cannot show to '?' (or to their
// ASCII spelling, for the math symbols in spelled): it keeps the
// PDF's glyphs real (fpdf would draw a blank or fail on them).
type printable struct {
	font *sfnt.Font
	buf  sfnt.Buffer
	seen map[rune]bool
}

func (p *printable) ok(r rune) bool {
	if r < 0x20 || r >= 0x7f && r < 0xa0 || r == utf8.RuneError || r > 0xffff {
		return false
	}
	if r < 0x7f {
		return true
	}
	if v, ok := p.seen[r]; ok {
		return v
	}
	g, err := p.font.GlyphIndex(&p.buf, r)
	v := err == nil && g != 0
	p.seen[r] = v
	return v
}

// spelled are math symbols students write that Liberation Mono lacks,
// in the ASCII they are also written as.
var spelled = map[rune]string{
	'‖': "||", '∈': " in ", '∉': " not in ", 'ℝ': "R", '⊙': "(.)", '⊗': "(x)", '⊕': "(+)",
	'∇': "grad ", '⟨': "<", '⟩': ">", '≔': ":=", '≜': ":=", '∘': "o", '⋅': "·", '…': "...",
}

// clean turns one line of input into what is printed: tabs expanded,
// runes the font lacks (and invalid UTF-8) as '?'.
func (p *printable) clean(line []byte) []rune {
	var out []rune
	for len(line) > 0 {
		r, n := utf8.DecodeRune(line)
		line = line[n:]
		switch {
		case r == '\t':
			for {
				out = append(out, ' ')
				if len(out)%tabWidth == 0 {
					break
				}
			}
		case r == '\r':
		case p.ok(r):
			out = append(out, r)
		case spelled[r] != "":
			out = append(out, []rune(spelled[r])...)
		default:
			out = append(out, '?')
		}
	}
	return out
}

// doc is a document being written, line by line, with its own page
// breaks (so that the page limit is exact).
type doc struct {
	pdf       *fpdf.Fpdf
	opt       Options
	cols      int
	y, bottom float64
	full      bool // the page limit is reached: nothing more is written
}

// Render writes the PDF of secs to w.
func Render(w io.Writer, secs []Section, opt Options) error {
	if opt.MaxPages <= 0 {
		opt.MaxPages = DefaultMaxPages
	}
	if opt.Date.IsZero() {
		opt.Date = time.Now()
	}
	font, err := monoFont()
	if err != nil {
		return fmt.Errorf("render: the embedded font does not parse: %v", err)
	}
	pdf := fpdf.New("P", "pt", "A4", "")
	pdf.SetCompression(!opt.Uncompressed)
	pdf.SetAutoPageBreak(false, margin)
	pdf.SetCreationDate(opt.Date)
	pdf.SetModificationDate(opt.Date)
	pdf.SetTitle("Conceptual answers of "+opt.ID, true)
	pdf.SetCreator("nnkit check submit", true)
	pdf.AddUTF8FontFromBytes("mono", "", liberationmonoregular.TTF)
	pdf.AddUTF8FontFromBytes("sans", "B", liberationsansbold.TTF)
	pw, ph := pdf.GetPageSize()
	d := &doc{pdf: pdf, opt: opt, bottom: ph - margin,
		cols: int((pw - 2*margin) / (fontSize * monoAdvance))}
	pr := &printable{font: font, seen: map[rune]bool{}}

	d.titlePage()
	for _, s := range secs {
		if d.full {
			break
		}
		d.newPage()
		d.heading(string(pr.clean([]byte(s.Title))))
		for _, line := range bytes.Split(s.Text, []byte("\n")) {
			if d.full {
				break
			}
			d.text(pr.clean(line))
		}
	}
	if err := pdf.Error(); err != nil {
		return fmt.Errorf("render: %v", err)
	}
	return pdf.Output(w)
}

func (d *doc) titlePage() {
	p := d.pdf
	p.AddPage()
	p.SetFont("sans", "B", 22)
	p.Text(margin, 200, "Assignment 2: conceptual questions")
	p.SetFont("sans", "B", 14)
	p.Text(margin, 250, "Student ID: "+d.opt.ID)
	p.Text(margin, 275, "Date: "+d.opt.Date.Format("2006-01-02"))
	p.SetFont("mono", "", fontSize)
	y := 330.0
	for _, l := range []string{
		"Rendered by `check submit` from conceptual/answers/:",
		"the answers file (problems 3 and 5), p1.go (problem 1) and",
		"the prose answers p2.md, p4.md and p6.md, as written.",
		"Characters the font cannot show are printed as '?'.",
	} {
		p.Text(margin, y, l)
		y += lineHeight
	}
	d.footer()
}

// newPage starts a page or, at the limit, says at the foot of the last
// one that the document stops there.
func (d *doc) newPage() {
	if d.pdf.PageNo() >= d.opt.MaxPages {
		d.full = true
		d.pdf.SetFont("mono", "", fontSize)
		d.pdf.Text(margin, d.bottom+lineHeight, fmt.Sprintf("[... stopped at the limit of %d pages: the files themselves travel in the zip]", d.opt.MaxPages))
		return
	}
	d.pdf.AddPage()
	d.y = margin
	d.footer()
}

func (d *doc) footer() {
	d.pdf.SetFont("mono", "", 8)
	_, ph := d.pdf.GetPageSize()
	d.pdf.Text(margin, ph-margin/2, fmt.Sprintf("conceptual_%s.pdf  page %d", d.opt.ID, d.pdf.PageNo()))
}

func (d *doc) heading(title string) {
	if d.full {
		return
	}
	d.pdf.SetFont("sans", "B", headSize)
	d.y += headSize
	d.pdf.Text(margin, d.y, title)
	d.y += lineHeight
}

// text writes one input line, wrapped at the page's columns.
func (d *doc) text(line []rune) {
	for first := true; first || len(line) > 0; first = false {
		n := min(len(line), d.cols)
		d.line(string(line[:n]))
		line = line[n:]
		if d.full {
			return
		}
	}
}

// line writes one printed line.
func (d *doc) line(s string) {
	if d.y+lineHeight > d.bottom {
		d.newPage()
		if d.full {
			return
		}
	}
	d.y += lineHeight
	d.pdf.SetFont("mono", "", fontSize)
	if strings.TrimSpace(s) != "" {
		d.pdf.Text(margin, d.y, s)
	}
}
