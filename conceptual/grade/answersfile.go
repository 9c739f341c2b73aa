package grade

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// AnswersFile is the name of the numeric answers file in a student's
// answers directory.
const AnswersFile = "answers.txt"

// Value is one answer of an answers file: a number, a vector [a, b] or a
// matrix [[a, b], [c, d]], or nothing yet (Empty).
type Value struct {
	Empty bool
	Rank  int // 0 number, 1 vector, 2 matrix
	Num   float64
	Vec   []float64
	Mat   [][]float64
	Line  int // where the key was written, for messages
}

// Answers maps keys such as "p5.W" to their values.
type Answers map[string]Value

// ParseAnswers reads the answers file format:
//
//	# a comment runs to the end of the line
//	p3.parameters = 12345
//	p5.W = [[0.1, 0.2],
//	        [0.3, 0.4]]       a value may span lines while a bracket is open
//	p5.B = [0.5, 0.6]
//	p5.X =                    nothing after '=': not answered yet
//
// Keys are letters, digits, '.', '_' and '-'; each key appears once. Numbers
// are Go float literals without underscores (1, -0.5, 2e-3) and must be
// finite; a matrix's rows must have equal lengths and at least one entry.
// Errors name the line and say what was expected.
func ParseAnswers(r io.Reader) (Answers, error) {
	out := Answers{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		text := stripComment(sc.Text())
		if strings.TrimSpace(text) == "" {
			continue
		}
		key, val, ok := strings.Cut(text, "=")
		if !ok {
			return nil, fmt.Errorf("line %d: expected key = value, found %q", line, strings.TrimSpace(text))
		}
		key = strings.TrimSpace(key)
		if !validKey(key) {
			return nil, fmt.Errorf("line %d: %q is not a key (letters, digits, '.', '_', '-')", line, key)
		}
		if prev, dup := out[key]; dup {
			return nil, fmt.Errorf("line %d: %s is already set on line %d", line, key, prev.Line)
		}
		start := line
		// Keep reading while brackets are open.
		for depth(val) > 0 && sc.Scan() {
			line++
			val += " " + stripComment(sc.Text())
		}
		v, err := parseValue(strings.TrimSpace(val))
		if err != nil {
			return nil, fmt.Errorf("line %d: %s: %v", start, key, err)
		}
		v.Line = start
		out[key] = v
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %v", line+1, err)
	}
	return out, nil
}

func stripComment(s string) string {
	if i := strings.IndexByte(s, '#'); i >= 0 {
		return s[:i]
	}
	return s
}

func validKey(k string) bool {
	if k == "" {
		return false
	}
	for _, c := range k {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// depth is the number of brackets left open in s.
func depth(s string) int {
	return strings.Count(s, "[") - strings.Count(s, "]")
}

func parseValue(s string) (Value, error) {
	if s == "" {
		return Value{Empty: true}, nil
	}
	if !strings.HasPrefix(s, "[") {
		x, err := parseNum(s)
		return Value{Rank: 0, Num: x}, err
	}
	p := &valueParser{s: s}
	v, err := p.value(0)
	if err != nil {
		return Value{}, err
	}
	p.space()
	if p.i != len(p.s) {
		return Value{}, fmt.Errorf("unexpected %q after the closing bracket", p.s[p.i:])
	}
	return v, nil
}

func parseNum(s string) (float64, error) {
	if strings.ContainsAny(s, "_ \t") {
		return 0, fmt.Errorf("expected a number, found %q", s)
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("expected a number, found %q", s)
	}
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0, fmt.Errorf("expected a finite number, found %q", s)
	}
	return x, nil
}

// valueParser reads a bracketed vector or matrix.
type valueParser struct {
	s string
	i int
}

func (p *valueParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\r') {
		p.i++
	}
}

// value reads "[" items "]" at nesting level lvl (0 outer).
func (p *valueParser) value(lvl int) (Value, error) {
	p.space()
	if p.i >= len(p.s) || p.s[p.i] != '[' {
		return Value{}, fmt.Errorf("expected '['")
	}
	p.i++
	p.space()
	nested := p.i < len(p.s) && p.s[p.i] == '['
	if nested && lvl > 0 {
		return Value{}, fmt.Errorf("brackets nest deeper than a matrix")
	}
	var v Value
	if nested {
		v.Rank = 2
	} else {
		v.Rank = 1
	}
	for {
		p.space()
		if p.i >= len(p.s) {
			return Value{}, fmt.Errorf("missing ']'")
		}
		if nested {
			row, err := p.value(lvl + 1)
			if err != nil {
				return Value{}, err
			}
			if len(v.Mat) > 0 && len(row.Vec) != len(v.Mat[0]) {
				return Value{}, fmt.Errorf("matrix row %d has %d entries, row 1 has %d", len(v.Mat)+1, len(row.Vec), len(v.Mat[0]))
			}
			v.Mat = append(v.Mat, row.Vec)
		} else {
			j := p.i
			for j < len(p.s) && p.s[j] != ',' && p.s[j] != ']' && p.s[j] != '[' {
				j++
			}
			item := strings.TrimSpace(p.s[p.i:j])
			if item == "" {
				return Value{}, fmt.Errorf("expected a number at %q", p.s[p.i:])
			}
			x, err := parseNum(item)
			if err != nil {
				return Value{}, err
			}
			v.Vec = append(v.Vec, x)
			p.i = j
		}
		p.space()
		if p.i >= len(p.s) {
			return Value{}, fmt.Errorf("missing ']'")
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			return v, nil
		default:
			return Value{}, fmt.Errorf("expected ',' or ']', found %q", p.s[p.i:])
		}
	}
}

// String writes v back in the answers file format (ParseAnswers reads it
// to the same value).
func (v Value) String() string {
	num := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	vec := func(xs []float64) string {
		parts := make([]string, len(xs))
		for i, x := range xs {
			parts[i] = num(x)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	switch {
	case v.Empty:
		return ""
	case v.Rank == 0:
		return num(v.Num)
	case v.Rank == 1:
		return vec(v.Vec)
	}
	rows := make([]string, len(v.Mat))
	for i, r := range v.Mat {
		rows[i] = vec(r)
	}
	return "[" + strings.Join(rows, ", ") + "]"
}

// Form describes v's shape for messages: "a number", "a vector of 3
// entries", "a 2 x 2 matrix".
func (v Value) Form() string {
	switch {
	case v.Empty:
		return "nothing"
	case v.Rank == 0:
		return "a number"
	case v.Rank == 1:
		return fmt.Sprintf("a vector of %d entries", len(v.Vec))
	}
	return fmt.Sprintf("a %d x %d matrix", len(v.Mat), len(v.Mat[0]))
}
