package grade

import (
	"nnkit/conceptual/internal/matrix"

	"fmt"
	"math/rand/v2"
	"time"

	"nnkit/checker"
	"nnkit/tensor"
)

// P1Answers are a student's answers to problem 1: the three gradients as Go
// functions on [][]float64 matrices indexed from 0 (x_{a,b} of the text is
// X[a-1][b-1]). g is dL/dP (n x m), S the sigmoid output (2n x 2m), X the
// block input ((2n+k-1) x (2m+k-1)). The functions must not modify their
// arguments; a nil result means "not answered yet".
type P1Answers struct {
	DLdS func(g [][]float64) [][]float64
	DLdC func(g, S [][]float64) [][]float64
	DLdK func(g, S, X [][]float64, k int) [][]float64
}

// p1Instance is one building block with every quantity of the problem
// and the true gradients, computed by the tensor engine's autograd.
type p1Instance struct {
	N, M, K    int
	X, Kernel  [][]float64
	C, S, G    [][]float64 // G = dL/dP
	dS, dC, dK [][]float64
	dKNoSig    [][]float64 // sum_{d,e} dL/ds_{d,e} x_{d+a-1,e+b-1}: dL/dK without sigmoid'
}

// newp1Instance draws X, K and g uniform in [-1, 1) for the given sizes.
// The truths come from autograd in float64 with L = sum(g * P), so that
// dL/dP = g: C = tensor.Conv2d(X, K) (no bias, stride 1, no padding),
// S = tensor.Sigmoid(C), P = tensor.AvgPool2d(S, 2, 2, 0). dL/dS and
// dL/dC are the gradients of leaves standing in for S and C.
func newp1Instance(rng *rand.Rand, n, m, k int) p1Instance {
	in := p1Instance{N: n, M: m, K: k}
	in.X = matrix.Rand(rng, 2*n+k-1, 2*m+k-1, -1, 1)
	in.Kernel = matrix.Rand(rng, k, k, -1, 1)
	in.G = matrix.Rand(rng, n, m, -1, 1)
	g := mat4(in.G)
	loss := func(p *tensor.Tensor) { tensor.Sum(tensor.Mul(tensor.AvgPool2d(p, 2, 2, 0), g)).Backward() }
	tensor.NoGrad(func() {
		c := tensor.Conv2d(mat4(in.X), mat4(in.Kernel), nil, 1, 0)
		in.C, in.S = unmat4(c), unmat4(tensor.Sigmoid(c))
	})
	S := mat4(in.S).SetRequiresGrad(true)
	loss(S)
	C := mat4(in.C).SetRequiresGrad(true)
	loss(tensor.Sigmoid(C))
	K := mat4(in.Kernel).SetRequiresGrad(true)
	loss(tensor.Sigmoid(tensor.Conv2d(mat4(in.X), K, nil, 1, 0)))
	K2 := mat4(in.Kernel).SetRequiresGrad(true)
	loss(tensor.Conv2d(mat4(in.X), K2, nil, 1, 0))
	in.dS, in.dC, in.dK, in.dKNoSig = unmat4(S.Grad()), unmat4(C.Grad()), unmat4(K.Grad()), unmat4(K2.Grad())
	return in
}

// mat4 is a matrix as a float64 tensor [1, 1, rows, cols].
func mat4(m [][]float64) *tensor.Tensor {
	r, c, _ := matrix.Dims(m)
	return tensor.FromFloat64(matrix.Flatten(m), 1, 1, r, c)
}

// unmat4 is the inverse of mat4.
func unmat4(t *tensor.Tensor) [][]float64 {
	s := t.Shape()
	return matrix.Unflatten(t.Float64s(), s[2], s[3])
}

// p1Instances are the instances a student's problem-1 functions are graded
// on: fixed sizes chosen to catch swapped n and m or a k taken as 1, then
// random sizes, all drawn from seed.
func p1Instances(seed uint64) []p1Instance {
	rng := rand.New(rand.NewPCG(seed, 1))
	sizes := [][3]int{{1, 1, 1}, {1, 1, 2}, {2, 3, 3}, {3, 2, 2}, {2, 2, 4}}
	for range 5 {
		sizes = append(sizes, [3]int{1 + rng.IntN(4), 1 + rng.IntN(4), 1 + rng.IntN(4)})
	}
	out := make([]p1Instance, len(sizes))
	for i, s := range sizes {
		out[i] = newp1Instance(rng, s[0], s[1], s[2])
	}
	return out
}

// P1 tolerance: the closed forms are a handful of float64 operations, so a
// correct answer agrees to rounding; |got - want| <= P1Atol + P1Rtol |want|.
const (
	P1Atol = 1e-9
	P1Rtol = 1e-7
	// P1CallTimeout bounds one call of a student function.
	P1CallTimeout = 2 * time.Second
)

const (
	pointsP1S = 2
	pointsP1C = 2
	pointsP1K = 4
)

// GradeP1 scores the three problem-1 functions on fixed and random
// instances (seeded) against autograd (see newP1Instance). Each function runs with recover and a per-call
// timeout, so a panic or an endless loop fails only its own item.
func GradeP1(a P1Answers, seed uint64) []checker.Result {
	return gradeP1Items(a, seed, "", func(f func() [][]float64) ([][]float64, checker.Status, string) {
		return callSafe(f, P1CallTimeout)
	})
}

// caller runs a student's function: status "" on success.
type caller func(f func() [][]float64) (out [][]float64, status checker.Status, msg string)

// callDirect calls f as it is: in a student process, the process's time
// limit and the checker's recover do what callSafe does in-process.
func callDirect(f func() [][]float64) ([][]float64, checker.Status, string) { return f(), "", "" }

// gradeP1Items grades the items named only (all when only is "").
func gradeP1Items(a P1Answers, seed uint64, only string, call caller) []checker.Result {
	var ins []p1Instance
	get := func() []p1Instance {
		if ins == nil {
			ins = p1Instances(seed)
		}
		return ins
	}
	var res []checker.Result
	if only == "" || only == ItemP1S {
		res = append(res, gradeP1Item(ItemP1S, pointsP1S, get(), "dL/dS", func(in p1Instance) string { return fmt.Sprintf("a %d x %d matrix (2n x 2m)", 2*in.N, 2*in.M) },
			a.DLdS != nil, call, func(in p1Instance) [][]float64 { return a.DLdS(in.G) },
			func(in p1Instance) [][]float64 { return in.dS }, diagnoseS))
	}
	if only == "" || only == ItemP1C {
		res = append(res, gradeP1Item(ItemP1C, pointsP1C, get(), "dL/dC", func(in p1Instance) string { return fmt.Sprintf("a %d x %d matrix (2n x 2m)", 2*in.N, 2*in.M) },
			a.DLdC != nil, call, func(in p1Instance) [][]float64 { return a.DLdC(in.G, in.S) },
			func(in p1Instance) [][]float64 { return in.dC }, diagnoseC))
	}
	if only == "" || only == ItemP1K {
		res = append(res, gradeP1Item(ItemP1K, pointsP1K, get(), "dL/dK", func(in p1Instance) string { return fmt.Sprintf("a %d x %d matrix (k x k)", in.K, in.K) },
			a.DLdK != nil, call, func(in p1Instance) [][]float64 { return a.DLdK(in.G, in.S, in.X, in.K) },
			func(in p1Instance) [][]float64 { return in.dK }, diagnoseK))
	}
	return res
}

// gradeP1Item runs call on every instance (on copies of the inputs) and
// compares with want.
func gradeP1Item(item string, pts float64, ins []p1Instance, what string, form func(p1Instance) string,
	present bool, run caller, call, want func(p1Instance) [][]float64, diagnose func(in p1Instance, got, want [][]float64) string) checker.Result {
	r := checker.Result{Task: task, Item: item, Max: pts}
	if !present {
		r.Status, r.Reason = checker.NotDone, "the function is nil"
		return r
	}
	for idx, in := range ins {
		size := fmt.Sprintf("n=%d, m=%d, k=%d", in.N, in.M, in.K)
		cp := p1Instance{N: in.N, M: in.M, K: in.K, X: matrix.Clone(in.X), S: matrix.Clone(in.S), G: matrix.Clone(in.G)}
		got, status, msg := run(func() [][]float64 { return call(cp) })
		if status != "" {
			r.Status, r.Reason = status, fmt.Sprintf("%s on instance %d (%s)", msg, idx+1, size)
			return r
		}
		if !matrix.Equal(cp.X, in.X) || !matrix.Equal(cp.S, in.S) || !matrix.Equal(cp.G, in.G) {
			r.Status, r.Reason = checker.InputModified, fmt.Sprintf("the function changed its arguments on instance %d (%s); work on a new matrix", idx+1, size)
			return r
		}
		if got == nil {
			r.Status, r.Reason = checker.NotDone, "returns nil (not answered yet)"
			return r
		}
		w := want(in)
		gr, gc, rect := matrix.Dims(got)
		wr, wc, _ := matrix.Dims(w)
		if !rect || gr != wr || gc != wc {
			shape := fmt.Sprintf("%d x %d", gr, gc)
			if !rect {
				shape = fmt.Sprintf("%d rows of unequal length", gr)
			}
			r.Status = checker.Fail
			r.Reason = fmt.Sprintf("%s should be %s for %s; got %s", what, form(in), size, shape)
			return r
		}
		if d, e, ok := firstMismatch(got, w); !ok {
			r.Status = checker.Fail
			r.Reason = fmt.Sprintf("entry (%d, %d) (1-based) is wrong on instance %d (%s)", d+1, e+1, idx+1, size)
			if hint := diagnose(in, got, w); hint != "" {
				r.Reason = hint + fmt.Sprintf(" (instance %d, %s)", idx+1, size)
			}
			r.Details = fmt.Sprintf("instance %d: %s, tolerance |got - want| <= %g + %g |want|\nyour %s:\n%s",
				idx+1, size, P1Atol, P1Rtol, what, matrix.Format(got, 6))
			return r
		}
	}
	r.Score, r.Status = pts, checker.Pass
	r.Reason = fmt.Sprintf("matches on %d instances (fixed and random n, m, k)", len(ins))
	return r
}

// callSafe runs f with recover and a timeout. status is "" on success.
func callSafe(f func() [][]float64, timeout time.Duration) (out [][]float64, status checker.Status, msg string) {
	type result struct {
		out   [][]float64
		panic any
	}
	ch := make(chan result, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				ch <- result{panic: p}
			}
		}()
		ch <- result{out: f()}
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case r := <-ch:
		if r.panic != nil {
			return nil, checker.Panicked, fmt.Sprintf("panic: %v", r.panic)
		}
		return r.out, "", ""
	case <-timer.C:
		return nil, checker.TimedOut, fmt.Sprintf("no result within %v", timeout)
	}
}

// firstMismatch returns the first entry outside the P1 tolerance.
func firstMismatch(got, want [][]float64) (int, int, bool) {
	for i := range want {
		for j := range want[i] {
			if !matrix.Near(got[i][j], want[i][j], P1Atol, P1Rtol) {
				return i, j, false
			}
		}
	}
	return 0, 0, true
}

// allClose reports whether got and want (same shape) agree within the P1
// tolerance after applying f to want.
func allClose(got, want [][]float64, f func(i, j int, w float64) float64) bool {
	for i := range want {
		for j := range want[i] {
			if !matrix.Near(got[i][j], f(i, j, want[i][j]), P1Atol, P1Rtol) {
				return false
			}
		}
	}
	return true
}

// scaleHint names a wrong constant factor, the commonest slip.
func scaleHint(got, want [][]float64, what string) string {
	switch {
	case allClose(got, want, func(_, _ int, w float64) float64 { return 4 * w }):
		return "every entry of " + what + " is 4 times too large: each s_{d,e} enters its 2x2 average with weight 1/4"
	case allClose(got, want, func(_, _ int, w float64) float64 { return w / 4 }):
		return "every entry of " + what + " is 4 times too small: is the 1/4 of the average applied twice?"
	case allClose(got, want, func(_, _ int, w float64) float64 { return -w }):
		return "every entry of " + what + " has the wrong sign"
	}
	return ""
}

func diagnoseS(in p1Instance, got, want [][]float64) string {
	if h := scaleHint(got, want, "dL/dS"); h != "" {
		return h
	}
	if allClose(got, want, func(i, j int, w float64) float64 { return w * 4 * in.S[i][j] * (1 - in.S[i][j]) / 4 }) {
		return "dL/dS includes the sigmoid derivative s(1-s), which belongs to dL/dC"
	}
	return ""
}

func diagnoseC(in p1Instance, got, want [][]float64) string {
	if h := scaleHint(got, want, "dL/dC"); h != "" {
		return h
	}
	sp := func(i, j int) float64 { s := in.S[i][j]; return s * (1 - s) }
	switch {
	case allClose(got, want, func(i, j int, w float64) float64 { return w / sp(i, j) }):
		return "dL/dC is missing the sigmoid derivative s_{d,e}(1 - s_{d,e})"
	case allClose(got, want, func(i, j int, w float64) float64 { return w / (1 - in.S[i][j]) }):
		return "dL/dC uses s instead of s(1 - s) as the sigmoid derivative"
	case allClose(got, want, func(i, j int, w float64) float64 {
		c := in.C[i][j]
		return w / sp(i, j) * c * (1 - c)
	}):
		return "dL/dC evaluates the sigmoid derivative at c instead of using s(1 - s)"
	}
	return ""
}

func diagnoseK(in p1Instance, got, want [][]float64) string {
	if h := scaleHint(got, want, "dL/dK"); h != "" {
		return h
	}
	k := in.K
	if k > 1 && allClose(got, want, func(a, b int, _ float64) float64 { return want[k-1-a][k-1-b] }) {
		return "dL/dK is rotated by 180 degrees: the block's convolution is a cross-correlation, c_{d,e} = sum k_{a,b} x_{d+a-1,e+b-1}"
	}
	if k > 1 && allClose(got, want, func(a, b int, _ float64) float64 { return want[b][a] }) {
		return "dL/dK is transposed: k_{a,b} multiplies x_{d+a-1,e+b-1} (a moves down rows, b along columns)"
	}
	// The sum taken with dL/dS instead of dL/dC.
	alt := in.dKNoSig
	if allClose(got, alt, func(_, _ int, w float64) float64 { return w }) {
		return "dL/dK sums dL/dS x instead of dL/dC x: the sigmoid derivative s(1-s) is missing"
	}
	return ""
}
