package grade

import (
	"bytes"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
)

// A verdict names what a numeric answer is: the answer, or a slip the
// messages explain.
type verdict string

const (
	p3Exact     verdict = "exact"
	p3NoBias    verdict = "no-bias"
	p3NoBN      verdict = "no-batchnorm"
	p3Buffers   verdict = "batchnorm-buffers"
	p5Exact     verdict = "exact"
	p5Transpose verdict = "transpose"
	p5WrongWay  verdict = "wrong-way"
	p5Initial   verdict = "initial"
	p5Gradient  verdict = "gradient"
	p5LR1       verdict = "lr-1"
)

type p3Variant struct {
	v verdict
	n int
}

type p5Variant struct {
	v verdict
	m [][]float64
}

// liveTruths computes the answers and the slips with the engine; it is
// set by truth_live.go, which the student distribution leaves out.
var liveTruths func() ([]p3Variant, map[string][]p5Variant)

var truths struct {
	once sync.Once
	p3   []p3Variant
	p5   map[string][]p5Variant
}

func live() ([]p3Variant, map[string][]p5Variant) {
	truths.once.Do(func() {
		if liveTruths != nil {
			truths.p3, truths.p5 = liveTruths()
		}
	})
	return truths.p3, truths.p5
}

// hashed, when set (by the file `check dist` generates), replaces the
// live truths.
var hashed *HashedAnswers

// judgeP3 says what the count n is.
func judgeP3(n int) verdict {
	if hashed != nil {
		return hashed.judgeP3(n)
	}
	p3, _ := live()
	for _, v := range p3 {
		if v.n == n {
			return v.v
		}
	}
	return ""
}

// judgeP5 says what the matrix got, the answer to key, is: the first
// variant every entry of which is within P5Atol.
func judgeP5(key string, got [][]float64) verdict {
	if hashed != nil {
		return hashed.judgeP5(key, got)
	}
	_, p5 := live()
	for _, v := range p5[key] {
		if within(got, v.m, P5Atol) {
			return v.v
		}
	}
	return ""
}

func within(got, want [][]float64, atol float64) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range want {
		if len(got[i]) != len(want[i]) {
			return false
		}
		for j := range want[i] {
			if !(math.Abs(got[i][j]-want[i][j]) <= atol) {
				return false
			}
		}
	}
	return true
}

// HashedAnswers holds the answers of problems 3 and 5, and the slips
// the messages name, as salted PBKDF2-SHA256 hashes: what the student
// distribution ships instead of the engine code that computes them.
//
// Problem 3's integer is hashed as it is. An integer is cheap to guess,
// so the hash is slow (P3Iter iterations, about a tenth of a second):
// trying the million counts below 10^6 then takes days of CPU, not a
// moment; it stays possible, which is the trade-off of shipping any
// check of an exact answer.
//
// Problem 5's matrices are compared with a tolerance, which a hash
// cannot do directly: each entry is rounded to the grid of step P5Atol
// (k = round(x / P5Atol)) and the matrix of integers is hashed. A
// student's answer is accepted when some matrix within one grid step
// of its rounding, entry by entry (3^4 candidates for W', 3^2 for B'),
// hashes to the stored one. This accepts every answer within P5Atol of
// the truth, as the live check does, but the edge is blurred: answers
// between P5Atol and 2 P5Atol away may pass too, depending on where the
// truth falls in its grid cell, and the slips are recognised with the
// same blur.
type HashedAnswers struct {
	Salt   string // hex
	P3Iter int
	P5Iter int
	P3     []HashedVariant
	P5     map[string][]HashedVariant // by key: p5.W, p5.B
}

// HashedVariant is one hashed answer or slip.
type HashedVariant struct {
	Verdict string
	Hash    string // hex
}

func (h *HashedAnswers) hash(iter int, msg string) string {
	salt, _ := hex.DecodeString(h.Salt)
	k, err := pbkdf2.Key(sha256.New, msg, salt, iter, 32)
	if err != nil {
		panic(err)
	}
	return hex.EncodeToString(k)
}

func p3Message(n int) string { return "p3.parameters=" + strconv.Itoa(n) }

func p5Message(key string, k [][]int64) string {
	var b strings.Builder
	b.WriteString(key)
	for _, row := range k {
		b.WriteByte(';')
		for j, x := range row {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.FormatInt(x, 10))
		}
	}
	return b.String()
}

// grid rounds m to the grid of step P5Atol; ok is false for values
// outside the int64 range, NaN or infinities.
func grid(m [][]float64) (k [][]int64, ok bool) {
	for _, row := range m {
		var r []int64
		for _, x := range row {
			q := math.Round(x / P5Atol)
			if math.IsNaN(q) || math.Abs(q) > 1<<52 {
				return nil, false
			}
			r = append(r, int64(q))
		}
		k = append(k, r)
	}
	return k, true
}

func (h *HashedAnswers) judgeP3(n int) verdict {
	got := h.hash(h.P3Iter, p3Message(n))
	for _, v := range h.P3 {
		if v.Hash == got {
			return verdict(v.Verdict)
		}
	}
	return ""
}

func (h *HashedAnswers) judgeP5(key string, got [][]float64) verdict {
	k, ok := grid(got)
	if !ok {
		return ""
	}
	stored := map[string]bool{}
	for _, v := range h.P5[key] {
		stored[v.Hash] = true
	}
	// Every neighbour of the rounding, one grid step at most per entry.
	var cells [][2]int
	for i := range k {
		for j := range k[i] {
			cells = append(cells, [2]int{i, j})
		}
	}
	found := map[string]bool{}
	var walk func(c int)
	walk = func(c int) {
		if c == len(cells) {
			if s := h.hash(h.P5Iter, p5Message(key, k)); stored[s] {
				found[s] = true
			}
			return
		}
		i, j := cells[c][0], cells[c][1]
		x := k[i][j]
		for _, d := range []int64{0, -1, 1} {
			k[i][j] = x + d
			walk(c + 1)
		}
		k[i][j] = x
	}
	walk(0)
	for _, v := range h.P5[key] { // the first variant in order, as live
		if found[v.Hash] {
			return verdict(v.Verdict)
		}
	}
	return ""
}

// Default iteration counts of HashAnswers.
const (
	DefaultP3Iter = 1_000_000
	DefaultP5Iter = 2_000
)

// HashAnswers hashes the live truths with salt. It fails in the student
// distribution, which has none.
func HashAnswers(salt []byte) (*HashedAnswers, error) {
	if liveTruths == nil {
		return nil, errors.New("conceptual/grade: no live truths to hash (the student distribution ships hashes only)")
	}
	h := &HashedAnswers{Salt: hex.EncodeToString(salt), P3Iter: DefaultP3Iter, P5Iter: DefaultP5Iter, P5: map[string][]HashedVariant{}}
	p3, p5 := liveTruths()
	for _, v := range p3 {
		h.P3 = append(h.P3, HashedVariant{string(v.v), h.hash(h.P3Iter, p3Message(v.n))})
	}
	for _, key := range []string{KeyW, KeyB} {
		for _, v := range p5[key] {
			k, ok := grid(v.m)
			if !ok {
				return nil, fmt.Errorf("conceptual/grade: %s %s is not finite", key, v.v)
			}
			h.P5[key] = append(h.P5[key], HashedVariant{string(v.v), h.hash(h.P5Iter, p5Message(key, k))})
		}
	}
	return h, nil
}

// GoSource returns a Go file of package grade that installs h in place
// of the live truths: what `check dist` writes as
// conceptual/grade/truth_hashed.go.
func (h *HashedAnswers) GoSource() []byte {
	var b bytes.Buffer
	b.WriteString("// Code generated by `check dist`. DO NOT EDIT.\n\n")
	b.WriteString("package grade\n\n")
	b.WriteString("// The answers of problems 3 and 5 as salted hashes (see HashedAnswers):\n")
	b.WriteString("// this distribution has no code that computes them.\n")
	b.WriteString("func init() {\n\thashed = &HashedAnswers{\n")
	fmt.Fprintf(&b, "\t\tSalt:   %q,\n\t\tP3Iter: %d,\n\t\tP5Iter: %d,\n", h.Salt, h.P3Iter, h.P5Iter)
	variants := func(vs []HashedVariant, indent string) {
		for _, v := range vs {
			fmt.Fprintf(&b, "%s{Verdict: %q, Hash: %q},\n", indent, v.Verdict, v.Hash)
		}
	}
	b.WriteString("\t\tP3: []HashedVariant{\n")
	variants(h.P3, "\t\t\t")
	b.WriteString("\t\t},\n\t\tP5: map[string][]HashedVariant{\n")
	for _, key := range []string{KeyW, KeyB} {
		fmt.Fprintf(&b, "\t\t\t%q: {\n", key)
		variants(h.P5[key], "\t\t\t\t")
		b.WriteString("\t\t\t},\n")
	}
	b.WriteString("\t\t},\n\t}\n}\n")
	return b.Bytes()
}
