package grade

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseAnswers(t *testing.T) {
	in := `# answers
p3.parameters = 545290   # an integer
p5.W = [[0.5, -1e-2],
        [3, 4]]
p5.B = [ -0.25 , 0.25 ]
p6.empty =
`
	a, err := ParseAnswers(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := Answers{
		"p3.parameters": {Rank: 0, Num: 545290, Line: 2},
		"p5.W":          {Rank: 2, Mat: [][]float64{{0.5, -0.01}, {3, 4}}, Line: 3},
		"p5.B":          {Rank: 1, Vec: []float64{-0.25, 0.25}, Line: 5},
		"p6.empty":      {Empty: true, Line: 6},
	}
	if !reflect.DeepEqual(a, want) {
		t.Fatalf("got %+v\nwant %+v", a, want)
	}
}

func TestParseAnswersErrors(t *testing.T) {
	for _, c := range []struct{ in, msg string }{
		{"p5.W [[1]]", "line 1: expected key = value"},
		{"a = 1\na = 2", "line 2: a is already set on line 1"},
		{"a b = 1", `"a b" is not a key`},
		{"a = 1 2", `expected a number, found "1 2"`},
		{"a = NaN", "expected a finite number"},
		{"a = [[1, 2], [3]]", "matrix row 2 has 1 entries, row 1 has 2"},
		{"a = [[[1]]]", "nest deeper than a matrix"},
		{"a = [1, 2", "line 1: a: missing ']'"},
		{"a = [1, 2]]", "unexpected"},
		{"a = []", "expected a number at \"]\""},
		{"\n\nx = [1,\n\n 2,", "line 3: x: missing ']'"},
	} {
		_, err := ParseAnswers(strings.NewReader(c.in))
		if err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%q: error %v, want it to contain %q", c.in, err, c.msg)
		}
	}
}

// FuzzParseAnswers checks that the parser never panics and that every
// value it accepts is written back by String to the same value.
func FuzzParseAnswers(f *testing.F) {
	for _, s := range []string{
		"p3.parameters = 61706\n",
		"p5.W = [[1, 0],\n [0, -1]]\np5.B = [0, 0]\n",
		"# c\nx =\n",
		"a = [[1e3, -2.5e-3]]",
		"a = [1,,2]",
		"a = [[1],[2]] # c",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAnswers(strings.NewReader(s))
		if err != nil {
			return
		}
		for k, v := range a {
			b, err := ParseAnswers(strings.NewReader(k + " = " + v.String()))
			if err != nil {
				t.Fatalf("%s = %s does not parse back: %v", k, v, err)
			}
			w := b[k]
			w.Line = v.Line
			if !reflect.DeepEqual(w, v) {
				t.Fatalf("%s: %+v written as %q reads back as %+v", k, v, v.String(), w)
			}
		}
	})
}
