package checker

import (
	"fmt"
	"io"
	"strings"

	"github.com/mattn/go-runewidth"
)

// RenderOptions say how Render lays the rubric out.
type RenderOptions struct {
	// Width is the most columns a line of the table takes (the -v
	// details below it are shown as they are); 0 means DefaultWidth.
	Width int
	// Color marks each status with an ANSI colour.
	Color bool
	// Verbose adds each item's details below the table.
	Verbose bool
}

// Render prints the rubric table (item, points, status, reason, total)
// laid out for w as TerminalOptions says; verbose adds each item's
// details below the table.
func (r Report) Render(w io.Writer, verbose bool) error {
	opt := TerminalOptions(w)
	opt.Verbose = verbose
	return r.RenderWith(w, opt)
}

// Layout limits. Below minReasonWidth columns for the reasons the table
// gives way to one block per item, which reads at any width; minWidth is
// the narrowest output honoured.
const (
	minReasonWidth  = 28
	goodReasonWidth = 40
	minWidth        = 24
	maxTaskWidth    = 12 // a column shrinks to this before the reasons do
	maxItemWidth    = 16
)

// RenderWith prints the rubric as opt says: a table when the reasons
// get at least minReasonWidth columns, else one block per item. No line
// of either is wider than opt.Width.
func (r Report) RenderWith(w io.Writer, opt RenderOptions) error {
	if opt.Width == 0 {
		opt.Width = DefaultWidth
	}
	opt.Width = max(opt.Width, minWidth)
	rows, total := r.rows()
	var b strings.Builder
	if widths, ok := tableWidths(rows, total, opt.Width); ok {
		writeTable(&b, rows, total, widths, opt.Color)
	} else {
		writeBlocks(&b, rows, total, opt.Width, opt.Color)
	}
	if opt.Verbose {
		for _, x := range r.Results {
			if x.Details != "" {
				// As the cells: a detail may quote what a student's
				// process printed, and a terminal escape in it could
				// redraw the table above.
				safe := func(s string) string { return studentText(s, len(s)+1, true) }
				fmt.Fprintf(&b, "\n--- %s %s ---\n%s\n", safe(x.Task), safe(x.Item), strings.TrimRight(safe(x.Details), "\n"))
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// row is one line of the rubric as shown: the cells, and the status
// that picks their colour.
type row struct {
	task, item, points, status, reason string
	st                                 Status
}

func (x row) cells() []string { return []string{x.task, x.item, x.points, x.status, x.reason} }

var header = row{task: "Task", item: "Item", points: "Points", status: "Status", reason: "Reason"}

// rows turns the results into the cells shown, and the total row.
func (r Report) rows() (rows []row, total row) {
	prev := ""
	for _, x := range r.Results {
		reason := x.Reason
		if x.HasHints && x.Score < x.Max && x.Status != HandGraded && x.Status != BuildFailed { // hints help with the logic, not the compiler
			reason += fmt.Sprintf(" (hints: check hint %s %s)", x.Task, x.Item)
		}
		shown := row{item: x.Item, points: points(x.Score) + " / " + points(x.Max), status: string(x.Status), reason: reason, st: x.Status}
		if x.Task != prev { // the task once, on its first row
			shown.task = x.Task
			prev = x.Task
		}
		switch {
		case x.Status == HandGraded:
			shown.points, shown.status = "— / "+points(x.Max), "pending"
		case x.Max == 0:
			shown.points = "" // a note: it scores nothing
		}
		rows = append(rows, shown.clean())
	}
	s, m, pending := r.Graded()
	total = row{item: "Total", points: points(s) + " / " + points(m), st: Pass}
	if s < m {
		total.st = Partial
	}
	if pending > 0 {
		total.reason = fmt.Sprintf("auto-graded; %s more points pending hand grading", points(pending))
	}
	return rows, total
}

// clean makes every cell safe to print and measure: no control
// characters (a reason may quote a file name or a compiler message),
// tabs as spaces.
func (x row) clean() row {
	c := func(s string) string {
		return strings.ReplaceAll(studentText(s, len(s)+1, true), "\t", "    ")
	}
	x.task, x.item, x.points, x.status, x.reason = c(x.task), c(x.item), c(x.points), c(x.status), c(x.reason)
	return x
}

// tableWidths gives each column its width in a table no wider than
// width, or false when the reasons would get less than minReasonWidth.
// The columns other than the reasons keep their natural width while the
// reasons get at least goodReasonWidth; else the task and the item
// shrink to a cap and the status to its longest word, and they wrap.
func tableWidths(rows []row, total row, width int) ([]int, bool) {
	natural, words := make([]int, 5), make([]int, 5)
	for _, x := range append([]row{header, total}, rows...) {
		for i, c := range x.cells() {
			for _, l := range strings.Split(c, "\n") {
				natural[i] = max(natural[i], textWidth(l))
			}
			for _, f := range strings.Fields(c) {
				words[i] = max(words[i], textWidth(f))
			}
		}
	}
	avail := width - tableOverhead(len(natural))
	w := append([]int(nil), natural...)
	w[4] = avail - sum(w[:4])
	if w[4] >= natural[4] || w[4] >= goodReasonWidth {
		w[4] = min(w[4], natural[4])
		return w, true
	}
	w[0], w[1], w[3] = min(natural[0], maxTaskWidth), min(natural[1], maxItemWidth), words[3]
	w[4] = avail - sum(w[:4])
	if w[4] < minReasonWidth {
		return nil, false
	}
	if w[4] > natural[4] { // give the rest back: status, item, then task
		spare := w[4] - natural[4]
		w[4] = natural[4]
		for _, i := range []int{3, 1, 0} {
			more := min(spare, natural[i]-w[i])
			w[i] += more
			spare -= more
		}
	}
	return w, true
}

// tableOverhead is what n columns' borders and padding take: "│ " before
// each cell, " " after it, and the closing "│".
func tableOverhead(n int) int { return 3*n + 1 }

func writeTable(b *strings.Builder, rows []row, total row, widths []int, color bool) {
	rule := func(left, mid, right string) {
		b.WriteString(left)
		for i, w := range widths {
			if i > 0 {
				b.WriteString(mid)
			}
			b.WriteString(strings.Repeat("─", w+2))
		}
		b.WriteString(right + "\n")
	}
	line := func(x row, paint bool) {
		cells := x.cells()
		wrapped := make([][]string, len(cells))
		height := 1
		for i, c := range cells {
			wrapped[i] = wrap(c, widths[i])
			height = max(height, len(wrapped[i]))
		}
		for l := range height {
			for i, lines := range wrapped {
				text := ""
				if l < len(lines) {
					text = lines[l]
				}
				pad := strings.Repeat(" ", widths[i]-textWidth(text))
				if i == 2 { // points read best right-aligned
					text, pad = pad+text, ""
				}
				if paint && (i == 2 || i == 3) {
					text = colorize(x.st, text)
				}
				b.WriteString("│ " + text + pad + " ")
			}
			b.WriteString("│\n")
		}
	}
	rule("┌", "┬", "┐")
	line(header, false)
	rule("├", "┼", "┤")
	for i, x := range rows {
		if i > 0 && x.task != "" {
			rule("├", "┼", "┤") // a new task
		}
		line(x, color)
	}
	rule("├", "┼", "┤")
	line(total, color)
	rule("└", "┴", "┘")
}

// writeBlocks prints one block per item, for widths where a table's
// reasons would be too narrow to read:
//
//	task1
//	  Relu                      3 / 3  pass
//	  Prelu                     0 / 2  fail
//	      the reason, wrapped
func writeBlocks(b *strings.Builder, rows []row, total row, width int, color bool) {
	const indent, reasonIndent = "  ", "      "
	pw, sw := 0, 0
	for _, x := range rows {
		pw, sw = max(pw, textWidth(x.points)), max(sw, textWidth(x.status))
	}
	// The item's room, so that every row's points and status line up.
	itemRoom := width - len(indent) - 2 - pw - 2 - sw
	for _, x := range rows {
		if x.task != "" {
			for _, l := range wrap(x.task, width) {
				b.WriteString(l + "\n")
			}
		}
		score := strings.TrimSpace(x.points + "  " + x.status)
		paint := func(s string) string {
			if color {
				return colorize(x.st, s)
			}
			return s
		}
		items := wrap(x.item, width-len(indent))
		last := items[len(items)-1]
		for _, l := range items[:len(items)-1] {
			b.WriteString(indent + l + "\n")
		}
		if textWidth(last) <= itemRoom {
			pad := strings.Repeat(" ", itemRoom-textWidth(last)+2+pw-textWidth(x.points))
			if x.points == "" { // a note: its status under the others'
				pad += "  "
			}
			b.WriteString(indent + last + pad + paint(score) + "\n")
		} else { // no room beside the item: below it
			b.WriteString(indent + last + "\n")
			for _, l := range wrap(score, width-len(reasonIndent)) {
				b.WriteString(reasonIndent + paint(l) + "\n")
			}
		}
		if x.reason != "" {
			for _, l := range wrap(x.reason, width-len(reasonIndent)) {
				b.WriteString(reasonIndent + l + "\n")
			}
		}
	}
	t := "Total " + total.points
	if total.reason != "" {
		t += " " + total.reason
	}
	lines := wrap(t, width)
	if color {
		lines[0] = colorize(total.st, lines[0])
	}
	b.WriteString(strings.Join(lines, "\n") + "\n")
}

// ANSI colours of the statuses: green for full marks, yellow for some,
// cyan for points an instructor has yet to give, red for none.
const (
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
	ansiReset  = "\x1b[0m"
)

func colorize(st Status, s string) string {
	if strings.TrimSpace(s) == "" {
		return s
	}
	c := ansiRed
	switch st {
	case Pass:
		c = ansiGreen
	case Partial:
		c = ansiYellow
	case HandGraded:
		c = ansiCyan
	}
	return c + s + ansiReset
}

// textWidth is how many terminal columns s takes (a wide character two,
// a combining mark none), ambiguous characters counted narrow, as a
// terminal outside East Asian locales shows them.
func textWidth(s string) int { return narrow.StringWidth(s) }

var narrow = &runewidth.Condition{EastAsianWidth: false}

// wrap breaks s into lines of at most width columns: at its newlines,
// then between words, and inside a word only when the word alone is
// wider than the line.
func wrap(s string, width int) []string {
	var out []string
	for _, para := range strings.Split(s, "\n") {
		line, lw := "", 0
		flush := func() {
			out = append(out, line)
			line, lw = "", 0
		}
		for _, word := range strings.Fields(para) {
			ww := textWidth(word)
			switch {
			case lw > 0 && lw+1+ww <= width:
				line, lw = line+" "+word, lw+1+ww
				continue
			case lw > 0:
				flush()
			}
			for ww > width { // a word wider than the line: cut it
				head, hw := cut(word, width)
				out = append(out, head)
				word, ww = word[len(head):], ww-hw
			}
			line, lw = word, ww
		}
		flush()
	}
	return out
}

// cut returns the longest prefix of s at most width columns wide (at
// least one character) and its width.
func cut(s string, width int) (string, int) {
	w := 0
	for i, r := range s {
		rw := narrow.RuneWidth(r)
		if w+rw > width && i > 0 {
			return s[:i], w
		}
		w += rw
	}
	return s, w
}

func sum(xs []int) int {
	n := 0
	for _, x := range xs {
		n += x
	}
	return n
}
