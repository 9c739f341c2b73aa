package similar

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"go/scanner"
	"go/token"
	"html"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// The Results below are built by hand, not by Compare: they are what
// the writer is given, including what Compare would never make (hostile
// IDs, a match at line 4,900).

// Two students of the sample report: bob's file holds alice's five
// helpers, renamed, reordered, commented anew and with one range loop
// turned into an index loop.
const (
	alice = "3200104412"
	bob   = "3200107730"
)

// sampleMatches are the functions of alice's file and their copies in
// bob's, longest first once measured.
var sampleMatches = [][2]string{{"topK", "best"}, {"meanStd", "stats"}, {"confusion", "cm"}, {"batches", "split"}, {"shuffled", "permutation"}}

// funcLines returns the lines of the declaration of func name in src:
// from its line to the closing brace at column 0.
func funcLines(t testing.TB, src, name string) Span {
	t.Helper()
	lines := strings.Split(src, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "func "+name+"(") {
			for j := i; j < len(lines); j++ {
				if lines[j] == "}" {
					return Span{From: i + 1, To: j + 1}
				}
			}
		}
	}
	t.Fatalf("no func %s in the sample", name)
	return Span{}
}

// goTokenCount counts the Go tokens of lines s of src, the length a match of
// them would have.
func goTokenCount(src string, s Span) int {
	lines := strings.Split(src, "\n")
	text := strings.Join(lines[s.From-1:s.To], "\n")
	var sc scanner.Scanner
	fset := token.NewFileSet()
	sc.Init(fset.AddFile("", -1, len(text)), []byte(text), nil, 0)
	n := 0
	for {
		_, tok, _ := sc.Scan()
		if tok == token.EOF {
			return n
		}
		if tok != token.SEMICOLON && tok != token.COMMENT {
			n++
		}
	}
}

func readSample(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "html", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// sampleResult is a class of 12 with one copied pair on task2 (alice and
// bob) and a spread of low-scoring pairs on every task, each low pair
// sharing one short span.
func sampleResult(t testing.TB) *Result {
	t.Helper()
	a, b := readSample(t, "alice.go.txt"), readSample(t, "bob.go.txt")
	r := &Result{
		Tasks: []string{"task1", "task2", "task3", "task4"},
		Files: map[string]Student{}, Counts: map[string]map[string]int{},
		K: 12, Window: 8,
	}
	r.Students = []string{alice, bob}
	for i := range 10 {
		r.Students = append(r.Students, fmt.Sprintf("32001%05d", 2000+i*137))
	}
	slices.Sort(r.Students)
	filler := readSample(t, "alice.go.txt")
	for _, id := range r.Students {
		s := Student{ID: id, Tasks: map[string][]File{}}
		for _, task := range r.Tasks {
			text := filler
			switch {
			case id == alice && task == "task2":
				text = a
			case id == bob && task == "task2":
				text = b
			}
			s.Tasks[task] = []File{{Name: task + "_" + id + ".go", Text: text}}
			if r.Counts[task] == nil {
				r.Counts[task] = map[string]int{}
			}
			r.Counts[task][id] = 40 + int(id[len(id)-1]-'0')*7 // any size; alice and bob's below

		}
		r.Files[id] = s
	}
	r.Counts["task2"][alice], r.Counts["task2"][bob] = 58, 91
	copied := Pair{Task: "task2", A: alice, B: bob, ShareA: 0.86, ShareB: 0.55, Score: 0.86}
	for _, m := range sampleMatches {
		sa, sb := funcLines(t, a, m[0]), funcLines(t, b, m[1])
		copied.Matches = append(copied.Matches, Match{A: sa, B: sb, Tokens: goTokenCount(a, sa)})
	}
	slices.SortStableFunc(copied.Matches, func(p, q Match) int { return q.Tokens - p.Tokens })
	copied.Longest = copied.Matches[0].Tokens
	r.Pairs = append(r.Pairs, copied)

	rng := rand.New(rand.NewPCG(1, 2))
	for _, task := range r.Tasks {
		for i, x := range r.Students {
			for _, y := range r.Students[i+1:] {
				if (x == alice && y == bob && task == "task2") || rng.IntN(3) == 0 {
					continue
				}
				share := func() float64 { return float64(rng.IntN(30)) / 100 }
				p := Pair{Task: task, A: x, B: y, ShareA: share(), ShareB: share()}
				p.Score = max(p.ShareA, p.ShareB)
				s := funcLines(t, filler, "batches")
				p.Matches = []Match{{A: s, B: s, Tokens: 14 + rng.IntN(10)}}
				p.Longest = p.Matches[0].Tokens
				r.Pairs = append(r.Pairs, p)
			}
		}
	}
	rankPairs(r.Pairs)
	return r
}

// rankPairs puts pairs in the order Result.Pairs documents.
func rankPairs(ps []Pair) {
	slices.SortStableFunc(ps, func(p, q Pair) int {
		switch {
		case p.Score != q.Score:
			if p.Score > q.Score {
				return -1
			}
			return 1
		case p.Task != q.Task:
			return strings.Compare(p.Task, q.Task)
		case p.A != q.A:
			return strings.Compare(p.A, q.A)
		}
		return strings.Compare(p.B, q.B)
	})
}

// Hostile content: markup that would run if it reached the page as
// markup (each sets window.pwned), a Trojan-source line (bidi
// overrides), NUL and escape characters, a 100,000-character line, and a
// file of 5,000 lines with a match at its end.
const (
	hostileScript = `</script><script>window.pwned=1</script>`
	hostileImg    = `<img src=x onerror="window.pwned=2">`
	hostileBidi   = "access = \"user\u202e \u2066// admin\u2069 \u2066\" // ok"
)

var (
	hostileA = `x</script><marquee>` + "\u202e" + `evil` // an ID
	hostileB = `<img src=x onerror="window.pwned=3">`
)

func hostileResult() *Result {
	long := strings.Repeat("a", 100000)
	var big strings.Builder
	for i := range 5000 {
		fmt.Fprintf(&big, "x%d := %d // line %d\n", i, i, i+1)
	}
	textA := "package task1\n" + hostileScript + "\n" + hostileImg + "\n" + hostileBidi + "\n\x00\x1b[2J\n" + long + "\n<!-- -->\n]]>\n"
	r := &Result{
		Tasks:    []string{"task1"},
		Students: []string{hostileB, hostileA},
		Files: map[string]Student{
			hostileA: {ID: hostileA, Tasks: map[string][]File{"task1": {{Name: hostileScript + ".go", Text: textA}, {Name: "big.go", Text: big.String()}}}},
			hostileB: {ID: hostileB, Tasks: map[string][]File{"task1": {{Name: hostileImg, Text: textA}}}},
		},
		Counts: map[string]map[string]int{"task1": {hostileA: 3, hostileB: 3}},
		K:      12, Window: 8,
	}
	slices.Sort(r.Students)
	p := Pair{Task: "task1", A: r.Students[0], B: r.Students[1], ShareA: 1, ShareB: 1, Score: 1, Longest: 30}
	// A's side is r.Students[0]; give both sides spans inside their files.
	fileOf := func(id string, line int) Span {
		if id == hostileA {
			return Span{File: 1, From: line, To: line + 50}
		}
		return Span{File: 0, From: 2, To: 5}
	}
	p.Matches = []Match{{A: fileOf(p.A, 4900), B: fileOf(p.B, 4900), Tokens: 30}}
	r.Pairs = []Pair{p}
	return r
}

// writeHTML writes r at a fixed date.
func writeHTML(t testing.TB, r *Result) []byte {
	t.Helper()
	defer func(f func() time.Time) { htmlNow = f }(htmlNow)
	htmlNow = func() time.Time { return time.Date(2026, 12, 7, 15, 4, 0, 0, time.UTC) }
	var b bytes.Buffer
	if err := WriteHTML(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// elementText returns the text of the elements <tag ...> of page (the
// text between the opening tag and the next </tag).
func elementText(page []byte, tag string) []string {
	var out []string
	re := regexp.MustCompile(`(?s)<` + tag + `\b[^>]*>(.*?)</` + tag + `>`)
	for _, m := range re.FindAllSubmatch(page, -1) {
		out = append(out, string(m[1]))
	}
	return out
}

// pageData decodes the data the page embeds.
func pageData(t *testing.T, page []byte) (d struct {
	Tasks []string                 `json:"tasks"`
	IDs   []string                 `json:"ids"`
	Files []map[string][][2]string `json:"files"`
	Pairs [][]json.RawMessage      `json:"pairs"`
}) {
	t.Helper()
	scripts := elementText(page, "script")
	if len(scripts) != 2 {
		t.Fatalf("the page has %d script elements, expected 2 (the data and report.js)", len(scripts))
	}
	var packed string
	if err := json.Unmarshal([]byte(scripts[0]), &packed); err != nil {
		t.Fatalf("the data script is not a JSON string: %v", err)
	}
	z, err := gzip.NewReader(base64.NewDecoder(base64.RawURLEncoding, strings.NewReader(packed)))
	if err != nil {
		t.Fatalf("the data is not gzip in base64url: %v", err)
	}
	if err := json.NewDecoder(z).Decode(&d); err != nil {
		t.Fatalf("the data is not JSON: %v", err)
	}
	return d
}

func TestWriteHTMLEscapes(t *testing.T) {
	r := hostileResult()
	page := writeHTML(t, r)
	// The markup is in the page as escaped JSON text only; U+202E
	// and the like stay as they are inside the data (report.js marks
	// them where it shows them).
	for _, s := range []string{"<img", "<marquee", "<script>window", "\x00", "\x1b"} {
		if n := bytes.Count(page, []byte(s)); n != 0 {
			t.Errorf("the page holds %q %d times, expected it escaped", s, n)
		}
	}
	for _, tag := range []string{"<script", "</script", "<style", "</style"} {
		want := 2
		if strings.Contains(tag, "style") {
			want = 1
		}
		if n := bytes.Count(page, []byte(tag)); n != want {
			t.Errorf("the page holds %q %d times, expected %d (its own)", tag, n, want)
		}
	}
	// Escaped, not lost: the data gives back every ID, name and text.
	d := pageData(t, page)
	if !slices.Equal(d.IDs, r.Students) {
		t.Errorf("IDs in the page %q, expected %q", d.IDs, r.Students)
	}
	for i, id := range d.IDs {
		got := d.Files[i]["task1"]
		want := r.Files[id].Tasks["task1"]
		if len(got) != len(want) {
			t.Fatalf("%q: %d files in the page, expected %d", id, len(got), len(want))
		}
		for j := range want {
			if got[j][0] != want[j].Name || got[j][1] != want[j].Text {
				t.Errorf("%q file %d: the page gives back name %.40q and %d bytes of text, expected %.40q and %d bytes", id, j, got[j][0], len(got[j][1]), want[j].Name, len(want[j].Text))
			}
		}
	}
}

func TestWriteHTMLStructure(t *testing.T) {
	r := sampleResult(t)
	page := writeHTML(t, r)
	s := string(page)

	// The Content-Security-Policy allows exactly the page's own script
	// and style.
	csp := regexp.MustCompile(`http-equiv="Content-Security-Policy" content="([^"]*)"`).FindStringSubmatch(s)
	if csp == nil {
		t.Fatal("no Content-Security-Policy in the page")
	}
	policy := html.UnescapeString(csp[1])
	scripts, styles := elementText(page, "script"), elementText(page, "style")
	for _, want := range []string{"default-src 'none'", "script-src '" + hashSource(scripts[1]) + "'", "style-src '" + hashSource(styles[0]) + "'"} {
		if !strings.Contains(policy, want) {
			t.Errorf("the policy %q does not hold %q", policy, want)
		}
	}
	// report.js goes into a <script> as it is: nothing in it may end
	// the element or change how the HTML parser reads it.
	for _, bad := range []string{"</script", "<script", "<!--"} {
		if strings.Contains(strings.ToLower(reportJS), bad) {
			t.Errorf("report.js holds %q, which the HTML parser would read inside <script>", bad)
		}
	}
	for _, want := range []string{
		"<title>Similarity of submissions, 2026-12-07 15:04 UTC</title>",
		"12 students",
		"k = 12 normalised tokens, winnowing window 8",
		"How to read this report",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("the page does not say %q", want)
		}
	}
	for _, url := range []string{"http:", "https:", "//cdn", "@import", "url("} {
		if strings.Contains(s, url) {
			t.Errorf("the page refers to %q, expected no external resource", url)
		}
	}

	// A tab and a histogram for all tasks and for each task, counting
	// every pair.
	tabs := regexp.MustCompile(`role="tab" data-task="([^"]*)"`).FindAllStringSubmatch(s, -1)
	figures := regexp.MustCompile(`<figure class="hist" data-task="([^"]*)"`).FindAllStringSubmatch(s, -1)
	want := append([]string{""}, r.Tasks...)
	for what, got := range map[string][][]string{"tabs": tabs, "histograms": figures} {
		var names []string
		for _, m := range got {
			names = append(names, m[1])
		}
		if !slices.Equal(names, want) {
			t.Errorf("%s for %q, expected %q", what, names, want)
		}
	}
	bars := regexp.MustCompile(`(?s)<figure class="hist" data-task="task2".*?</figure>`).FindString(s)
	sum := 0
	for _, m := range regexp.MustCompile(`: (\d+) pairs \(click`).FindAllStringSubmatch(bars, -1) {
		var n int
		fmt.Sscan(m[1], &n)
		sum += n
	}
	n2 := 0
	for _, p := range r.Pairs {
		if p.Task == "task2" {
			n2++
		}
	}
	if sum != n2 {
		t.Errorf("task2's histogram counts %d pairs, expected %d", sum, n2)
	}

	// The data: every pair, top first, with its matches.
	d := pageData(t, page)
	if len(d.Pairs) != len(r.Pairs) {
		t.Fatalf("%d pairs in the page, expected %d", len(d.Pairs), len(r.Pairs))
	}
	var top struct {
		task, a, b int
		score      float64
	}
	for i, v := range []any{&top.task, &top.a, &top.b, &top.score} {
		if err := json.Unmarshal(d.Pairs[0][i], v); err != nil {
			t.Fatal(err)
		}
	}
	if d.Tasks[top.task] != "task2" || d.IDs[top.a] != alice || d.IDs[top.b] != bob || top.score != 0.86 {
		t.Errorf("the top pair is %s %s/%s %.2f, expected task2 %s/%s 0.86", d.Tasks[top.task], d.IDs[top.a], d.IDs[top.b], top.score, alice, bob)
	}
	var matches [][7]int
	if err := json.Unmarshal(d.Pairs[0][9], &matches); err != nil {
		t.Fatal(err)
	}
	if len(matches) != len(sampleMatches) {
		t.Errorf("%d matches for the top pair, expected %d", len(matches), len(sampleMatches))
	}
	for i, m := range r.Pairs[0].Matches {
		want := [7]int{m.A.File, m.A.From, m.A.To, m.B.File, m.B.From, m.B.To, m.Tokens}
		if i < len(matches) && matches[i] != want {
			t.Errorf("match %d in the page %v, expected %v", i, matches[i], want)
		}
	}
}

func TestWriteHTMLNoPairs(t *testing.T) {
	for _, r := range []*Result{
		{},
		{Tasks: []string{"task1", "task2"}, Students: []string{"1", "2"}, K: 12, Window: 8,
			Files: map[string]Student{"1": {ID: "1"}, "2": {ID: "2"}}},
	} {
		page := writeHTML(t, r)
		d := pageData(t, page)
		if len(d.Pairs) != 0 || len(d.IDs) != 0 || len(d.Files) != 0 {
			t.Errorf("no pairs: the page's data has %d pairs, %d IDs, %d files, expected none", len(d.Pairs), len(d.IDs), len(d.Files))
		}
		if n := strings.Count(string(page), "no pair shares a fingerprint"); n != len(r.Tasks)+1 {
			t.Errorf("no pairs: %d histograms say so, expected %d (all tasks and each)", n, len(r.Tasks)+1)
		}
	}
}

func TestWriteHTMLDeterministic(t *testing.T) {
	// Maps (Files, Counts) are ranged in random order: the same Result
	// must still write the same bytes.
	r := sampleResult(t)
	first := writeHTML(t, r)
	for range 5 {
		if again := writeHTML(t, r); !bytes.Equal(first, again) {
			t.Fatal("two writes of the same Result differ")
		}
	}
	// Pairs given out of order are ranked.
	shuffled := *r
	shuffled.Pairs = slices.Clone(r.Pairs)
	slices.Reverse(shuffled.Pairs)
	if got := writeHTML(t, &shuffled); !bytes.Equal(first, got) {
		t.Error("pairs given in reverse order write another page, expected them ranked by score as Result documents")
	}
}

func TestWriteHTMLTopPairs(t *testing.T) {
	// More pairs than the page lists: the top HTMLPairs, and the
	// histogram and the caption count them all.
	r := &Result{Tasks: []string{"task1"}, Files: map[string]Student{}, K: 12, Window: 8}
	n := 50 // 1,225 pairs
	for i := range n {
		id := fmt.Sprintf("s%03d", i)
		r.Students = append(r.Students, id)
		r.Files[id] = Student{ID: id, Tasks: map[string][]File{"task1": {{Name: "a.go", Text: "package a\n"}}}}
	}
	for i := range n {
		for j := i + 1; j < n; j++ {
			s := float64((i*n+j)%1000) / 1000
			r.Pairs = append(r.Pairs, Pair{Task: "task1", A: r.Students[i], B: r.Students[j], ShareA: s, ShareB: s, Score: s})
		}
	}
	rankPairs(r.Pairs)
	page := writeHTML(t, r)
	d := pageData(t, page)
	if len(d.Pairs) != HTMLPairs {
		t.Errorf("%d pairs in the page, expected the top %d", len(d.Pairs), HTMLPairs)
	}
	var last float64
	if err := json.Unmarshal(d.Pairs[len(d.Pairs)-1][3], &last); err != nil {
		t.Fatal(err)
	}
	if want := round3(r.Pairs[HTMLPairs-1].Score); last != want {
		t.Errorf("the last pair listed scores %v, expected %v (the %dth best)", last, want, HTMLPairs)
	}
	want := fmt.Sprintf("%d pairs of task1 share code of their own (the others score 0); the list shows the top %d", len(r.Pairs), HTMLPairs)
	if !strings.Contains(string(page), want) {
		t.Errorf("the page does not say %q", want)
	}
}

func TestWriteHTMLBadSpan(t *testing.T) {
	files := map[string]Student{
		"a": {ID: "a", Tasks: map[string][]File{"task1": {{Name: "a.go", Text: "1\n2\n3"}}}},
		"b": {ID: "b", Tasks: map[string][]File{"task1": {{Name: "b.go", Text: "1\n2\n3"}}}},
	}
	ok := Span{From: 1, To: 3}
	for _, c := range []struct {
		name string
		m    Match
		want string
	}{
		{"file of A", Match{A: Span{File: 1, From: 1, To: 1}, B: ok}, "a match of A (a) is in file 1, expected a file index below 1"},
		{"past the end of B", Match{A: ok, B: Span{From: 2, To: 4}}, "a match of B (b) spans lines 2-4 of b.go, expected 1 <= from <= to <= 3"},
		{"line 0", Match{A: Span{From: 0, To: 1}, B: ok}, "spans lines 0-1 of a.go"},
		{"reversed", Match{A: ok, B: Span{From: 3, To: 2}}, "spans lines 3-2 of b.go"},
	} {
		r := &Result{Tasks: []string{"task1"}, Students: []string{"a", "b"}, Files: files,
			Pairs: []Pair{{Task: "task1", A: "a", B: "b", Score: 1, Matches: []Match{c.m}}}}
		var b bytes.Buffer
		err := WriteHTML(&b, r)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, expected one saying %q", c.name, err, c.want)
		}
		if b.Len() != 0 {
			t.Errorf("%s: %d bytes written, expected none", c.name, b.Len())
		}
	}
}

func TestHistogram(t *testing.T) {
	var counts [histBins]int
	counts[0], counts[histBins-1] = 1000, 1
	h := newHist(counts)
	if len(h.Bars) != histBins || h.Empty {
		t.Fatalf("%d bars (empty %v), expected %d", len(h.Bars), h.Empty, histBins)
	}
	first, last := h.Bars[0], h.Bars[histBins-1]
	if first.Y != float64(h.Top) || first.Y+first.H != float64(h.Bottom) {
		t.Errorf("the tallest bar spans y %v to %v, expected the plot's height %d to %d", first.Y, first.Y+first.H, h.Top, h.Bottom)
	}
	// One pair of 1,000 is still visible on the log scale: a tenth of
	// the height (log 2 / log 1001).
	if last.H < 10 || last.Lo != "0.95" || last.Hi != "1.00" || !last.Hot {
		t.Errorf("the last bar: height %v, %s to %s, hot %v; expected a visible bar for 0.95 to 1.00, hot", last.H, last.Lo, last.Hi, last.Hot)
	}
	if got := len(h.YTicks); got != 4 {
		t.Errorf("%d y ticks, expected 4 (1, 10, 100, 1000)", got)
	}
}

// BenchmarkWriteHTML300 writes the report of 300 generated submissions
// (see generate) and reports its size, the figure docs/grading.md
// quotes: go test ./checker/similar -run '^$' -bench WriteHTML300.
func BenchmarkWriteHTML300(b *testing.B) {
	r, err := Compare(generate(b, 300, 1), kitBase(b), Options{})
	if err != nil {
		b.Fatal(err)
	}
	var size int
	for b.Loop() {
		var w bytes.Buffer
		if err := WriteHTML(&w, r); err != nil {
			b.Fatal(err)
		}
		size = w.Len()
	}
	b.ReportMetric(float64(size)/1e6, "MB")
	b.ReportMetric(float64(len(r.Pairs)), "pairs")
}
