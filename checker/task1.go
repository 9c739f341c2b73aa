package checker

import (
	"fmt"
	"math"
	"math/rand/v2"
	"nnkit/spec"
	"slices"

	"gonum.org/v1/gonum/mat"

	"nnkit/solutions/task1"
)

// Task1Funcs are the graded functions of task 1 (nnkit/spec).
type Task1Funcs = spec.Task1

// task1Reference is the seam through which the reference solution reaches
// the rubric.
var task1Reference = &Task1Funcs{
	Relu:        task1.Relu,
	Prelu:       task1.Prelu,
	DNNForward:  task1.DNNForward,
	DNNBackward: task1.DNNBackward,
	Train:       task1.Train,
}

// Task1 is the rubric of task 1 (20 points).
var Task1 = register(withCalls(NewTask("task1", "MLP from scratch with gonum", task1Reference,
	[]string{"fmt", "math", "math/rand/v2", "slices", "gonum.org/v1/gonum/mat", "gonum.org/v1/gonum/floats", "nnkit/data"},
	ItemOf[Task1Funcs]{Name: "Relu", Points: 3, Check: checkRelu},
	ItemOf[Task1Funcs]{Name: "Prelu", Points: 2, Check: checkPrelu},
	ItemOf[Task1Funcs]{Name: "DNNForward", Points: 5, Check: checkDNNForward},
	ItemOf[Task1Funcs]{Name: "DNNBackward", Points: 5, Check: checkDNNBackward},
	ItemOf[Task1Funcs]{Name: "Train", Points: 5, Check: checkTrain},
), map[string][]string{"DNNForward": {"Relu"}, "DNNBackward": {"Prelu"}, "Train": {"DNNForward", "DNNBackward"}}))

// rng returns the generator of a check's random inputs; seedOf makes
// them fresh when a grading run sets its own input seed.
func rng(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seedOf(seed), 0x5eed)) }

func randDense(r *rand.Rand, rows, cols int, scale float64) *mat.Dense {
	m := mat.NewDense(rows, cols, nil)
	for i := range rows {
		for j := range cols {
			m.Set(i, j, scale*r.NormFloat64())
		}
	}
	return m
}

func randVec(r *rand.Rand, n int, scale float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = scale * r.NormFloat64()
	}
	return v
}

func randLabels(r *rand.Rand, n int) []float64 {
	y := make([]float64, n)
	for i := range y {
		y[i] = float64(2*r.IntN(2) - 1)
	}
	return y
}

// kinkMatrix holds the values where ReLU is easy to get wrong: exact
// zeros of both signs, tiny values on both sides, large ones.
func kinkMatrix() *mat.Dense {
	return mat.NewDense(2, 5, []float64{0, math.Copysign(0, -1), 1e-300, -1e-300, 3, -2.5, 0, 1e300, -1e300, 0.5})
}

// checkElementwise grades a function applied elementwise (Relu, Prelu):
// randomPts for random matrices of several shapes, edgePts for the kink
// matrix, 1 point off for changing the input.
func checkElementwise(c *Ctx, name string, f, ref func(*mat.Dense) *mat.Dense, randomPts, edgePts float64, edgeHint func(got *mat.Dense) string) {
	r := rng(1)
	var inputs []*mat.Dense
	for _, sh := range [][2]int{{1, 1}, {2, 5}, {7, 3}, {40, 30}} {
		inputs = append(inputs, randDense(r, sh[0], sh[1], 2))
	}
	var snap snapshot
	first := true
	var randomBad *mismatch
	for _, X := range inputs {
		snap.dense("X", X)
		want := ref(mat.DenseCopyOf(X))
		got := f(X)
		if first && isNil(got) {
			c.LoseAll(NotDone, "not implemented: %s returns nil", name)
			return
		}
		first = false
		if m := diffDense(name+"(X)", want, got, exactTol); m != nil && randomBad == nil {
			r, cc := X.Dims()
			m.reason = fmt.Sprintf("on a random %dx%d X: %s", r, cc, m.reason)
			if r*cc <= maxInlineEntries {
				m.reason += "; input X = " + inlineMatrix(X)
			}
			m.detail = shownInput("X", X) + m.detail
			randomBad = m
		}
	}
	if randomBad != nil {
		c.Lose(randomPts, Fail, "%s", randomBad.reason)
		c.Detailf("on a random X:\n%s", randomBad.detail)
	}
	X := kinkMatrix()
	snap.dense("X", X)
	want := ref(mat.DenseCopyOf(X))
	got := f(X)
	if m := diffDense(name+"(X)", want, got, exactTol); m != nil {
		hint := ""
		if edgeHint != nil && !isNil(got) {
			hint = edgeHint(got)
		}
		c.Lose(edgePts, Fail, "at the kink (X holds 0, -0, ±1e-300, ±1e300): %s%s", m.reason, hint)
		c.Detailf("at the kink:\n%s%s", shownInput("X", X), m.detail)
	}
	if ch := snap.changed(); len(ch) > 0 {
		c.Lose(1, InputModified, "%s changes its input X: compute into a new matrix (mat.NewDense) instead", name)
	}
}

func checkRelu(c *Ctx, s, ref *Task1Funcs) {
	checkElementwise(c, "Relu", s.Relu, ref.Relu, 2, 1, nil)
}

func checkPrelu(c *Ctx, s, ref *Task1Funcs) {
	checkElementwise(c, "Prelu", s.Prelu, ref.Prelu, 1, 1, func(got *mat.Dense) string {
		if got.At(0, 0) == 1 {
			return ": ReLU'(0) is taken as 0 here, so use x > 0, not x >= 0"
		}
		return ""
	})
}

// forwardCase is one input of DNNForward / DNNBackward.
type forwardCase struct {
	X, W *mat.Dense
	K, y []float64
}

func forwardCases() []forwardCase {
	r := rng(2)
	var cs []forwardCase
	for _, n := range []int{1, 4, 17} {
		cs = append(cs, forwardCase{X: randDense(r, n, 3, 1), W: randDense(r, 2, 3, 1), K: randVec(r, 2, 1), y: randLabels(r, n)})
	}
	X, y, err := task1.GetData(seedOf(7))
	if err == nil {
		W, K := task1.InitParams(seedOf(7))
		cs = append(cs, forwardCase{X: X, W: W, K: K, y: y})
	}
	return cs
}

func (fc forwardCase) size() string {
	n, _ := fc.X.Dims()
	return fmt.Sprintf("N = %d", n)
}

// shown is the case's inputs for -v, or "" when X is too large to show;
// withY adds the labels (DNNBackward's input).
func (fc forwardCase) shown(withY bool) string {
	x := shownInput("X", fc.X)
	if x == "" {
		return ""
	}
	out := x + shownInput("W", fc.W) + fmt.Sprintf("input K: %.6g\n", fc.K)
	if withY {
		out += fmt.Sprintf("input y: %v\n", fc.y)
	}
	return out
}

func checkDNNForward(c *Ctx, s, ref *Task1Funcs) {
	var snap snapshot
	var bad [3]*mismatch
	for i, fc := range forwardCases() {
		snap.dense("X", fc.X)
		snap.dense("W", fc.W)
		snap.vec("K", fc.K)
		wH, wA, wO := ref.DNNForward(mat.DenseCopyOf(fc.X), mat.DenseCopyOf(fc.W), slices.Clone(fc.K))
		H, A, O := s.DNNForward(fc.X, fc.W, fc.K)
		if i == 0 && isNil(H) && isNil(A) && O == nil {
			c.LoseAll(NotDone, "not implemented: DNNForward returns nil")
			return
		}
		for j, m := range []*mismatch{diffDense("H", wH, H, closeTol), diffDense("A", wA, A, closeTol), diffVec("O", wO, O, closeTol)} {
			if m != nil && bad[j] == nil {
				m.reason = fc.size() + ": " + m.reason
				if r, cc := dims(H); j == 0 && r == len(fc.y) && cc == 2 && r != 2 {
					m.reason += " (H is W X^T, 2 x N: one column per sample)"
				}
				if j == 0 && diffDense("H", ref.Relu(wH), H, closeTol) == nil {
					m.reason += " (H holds relu(H): does your Relu change its argument in place?)"
				}
				m.detail = fc.shown(false) + m.detail
				bad[j] = m
			}
		}
	}
	for j, pts := range []float64{2, 1, 2} {
		if bad[j] != nil {
			c.Lose(pts, Fail, "%s", bad[j].reason)
			c.Detailf("%s", bad[j].detail)
		}
	}
	if bad[0] == nil && bad[1] != nil {
		c.Detailf("hint: A = relu(H), elementwise")
	}
	if ch := snap.changed(); len(ch) > 0 {
		c.Lose(1, InputModified, "DNNForward changes its input %s", andList(unique(ch)))
	}
}

func unique(s []string) []string {
	var out []string
	for _, x := range s {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// numericGrad returns central differences of the task's loss with
// respect to W and K (eps 1e-6; the checker's own, independent of the
// student's NumericalGradient).
func numericGrad(ref *Task1Funcs, fc forwardCase) (*mat.Dense, []float64) {
	const eps = 1e-6
	loss := func(W *mat.Dense, K []float64) float64 {
		_, _, O := ref.DNNForward(fc.X, W, K)
		return task1.Loss(O, fc.y)
	}
	r, cc := fc.W.Dims()
	dW := mat.NewDense(r, cc, nil)
	for i := range r {
		for j := range cc {
			p, m := mat.DenseCopyOf(fc.W), mat.DenseCopyOf(fc.W)
			p.Set(i, j, fc.W.At(i, j)+eps)
			m.Set(i, j, fc.W.At(i, j)-eps)
			dW.Set(i, j, (loss(p, fc.K)-loss(m, fc.K))/(2*eps))
		}
	}
	dK := make([]float64, len(fc.K))
	for i := range fc.K {
		p, m := slices.Clone(fc.K), slices.Clone(fc.K)
		p[i] += eps
		m[i] -= eps
		dK[i] = (loss(fc.W, p) - loss(fc.W, m)) / (2 * eps)
	}
	return dW, dK
}

// gradHint explains a gradient that is a multiple of the right one.
func gradHint(want, got []float64, n int) string {
	k := ratio(want, got)
	switch {
	case math.IsNaN(k):
		return ""
	case math.Abs(k-float64(n)) < 1e-6 && n > 1:
		return fmt.Sprintf(" (it is N = %d times too large: the loss is the mean over the batch, divide by N)", n)
	case math.Abs(k+1) < 1e-6:
		return " (it has the wrong sign: dL/dO = O - y)"
	case math.Abs(k-2) < 1e-6:
		return " (it is twice too large: the loss has a factor 1/2)"
	case n > 1 && math.Abs(k*float64(n)-1) < 1e-6:
		return " (it is N times too small)"
	case k == 0:
		return " (it is zero everywhere: is there a factor like 1/2? In Go 1/2 == 0, integer division of two integer constants: write 0.5 or 1.0/2)"
	}
	return fmt.Sprintf(" (it is %.3g times the right one)", k)
}

// positiveCase is a DNNBackward input whose pre-activations H = W X^T
// are all positive, so that the ReLU's mask keeps every entry.
func positiveCase() forwardCase {
	r := rng(3)
	fc := forwardCase{X: randDense(r, 6, 3, 1), W: randDense(r, 2, 3, 1), K: randVec(r, 2, 1), y: randLabels(r, 6)}
	for _, m := range []*mat.Dense{fc.X, fc.W} {
		m.Apply(func(_, _ int, v float64) float64 { return math.Abs(v) + 0.1 }, m)
	}
	return fc
}

// maskHint says when a dL/dW that is wrong on the random cases is right
// for an input whose pre-activations are all positive: then its errors
// lie where H < 0, which is the ReLU's mask.
func maskHint(s, ref *Task1Funcs) (hint string) {
	fc := positiveCase()
	H, A, O := ref.DNNForward(fc.X, fc.W, fc.K)
	wW, _ := ref.DNNBackward(mat.DenseCopyOf(fc.X), slices.Clone(fc.y), mat.DenseCopyOf(fc.W), slices.Clone(fc.K), mat.DenseCopyOf(H), mat.DenseCopyOf(A), slices.Clone(O))
	var gW *mat.Dense
	if protect(func() { gW, _ = s.DNNBackward(fc.X, fc.y, fc.W, fc.K, H, A, O) }) != nil || diffDense("dLdW", wW, gW, closeTol) != nil {
		return ""
	}
	return " (it is right when every pre-activation H is positive, so the error is where H < 0: dL/dH = dL/dA * prelu(H) is 0 there, the ReLU's mask)"
}

func checkDNNBackward(c *Ctx, s, ref *Task1Funcs) {
	var snap snapshot
	var badW, badK *mismatch
	badWCase := -1
	for i, fc := range forwardCases() {
		H, A, O := ref.DNNForward(fc.X, fc.W, fc.K)
		for _, in := range []struct {
			n string
			m *mat.Dense
		}{{"X", fc.X}, {"W", fc.W}, {"H", H}, {"A", A}} {
			snap.dense(in.n, in.m)
		}
		snap.vec("y", fc.y)
		snap.vec("K", fc.K)
		snap.vec("O", O)
		wW, wK := ref.DNNBackward(mat.DenseCopyOf(fc.X), slices.Clone(fc.y), mat.DenseCopyOf(fc.W), slices.Clone(fc.K), mat.DenseCopyOf(H), mat.DenseCopyOf(A), slices.Clone(O))
		gW, gK := s.DNNBackward(fc.X, fc.y, fc.W, fc.K, H, A, O)
		if i == 0 && isNil(gW) && gK == nil {
			c.LoseAll(NotDone, "not implemented: DNNBackward returns nil")
			return
		}
		n := len(fc.y)
		nW, nK := numericGrad(ref, fc)
		fdAgrees := diffDense("", wW, nW, tol{1e-4, 1e-6}) == nil && diffVec("", wK, nK, tol{1e-4, 1e-6}) == nil
		if m := diffDense("dLdW", wW, gW, closeTol); m != nil && badW == nil {
			if m.row >= 0 {
				m.reason = fmt.Sprintf("%s: your dL/dW is off in row %d: expected %.6g, got %.6g", fc.size(), m.row, mat.Row(nil, m.row, wW), mat.Row(nil, m.row, gW))
				if fdAgrees {
					m.reason += " (finite differences of the loss agree with the expected values)"
				}
				if h := gradHint(flat(wW), flat(gW), n); h != "" {
					m.reason += h
				} else {
					m.reason += maskHint(s, ref)
				}
			} else {
				m.reason = fc.size() + ": " + m.reason
			}
			m.detail = fc.shown(true) + m.detail
			badW, badWCase = m, i
		}
		if m := diffVec("dLdK", wK, gK, closeTol); m != nil && badK == nil {
			if m.row >= 0 {
				m.reason = fmt.Sprintf("%s: your dL/dK is off: expected %.6g, got %.6g", fc.size(), wK, gK)
				if fdAgrees {
					m.reason += " (finite differences of the loss agree with the expected values)"
				}
				m.reason += gradHint(wK, gK, n)
			} else {
				m.reason = fc.size() + ": " + m.reason
			}
			if badW == nil || i != badWCase {
				m.detail = fc.shown(true) + m.detail
			}
			badK = m
		}
	}
	if badW != nil {
		c.Lose(3, Fail, "%s", badW.reason)
		c.Detailf("%s", badW.detail)
	}
	if badK != nil {
		c.Lose(2, Fail, "%s", badK.reason)
		c.Detailf("%s", badK.detail)
	}
	if ch := snap.changed(); len(ch) > 0 {
		c.Lose(1, InputModified, "DNNBackward changes its input %s", andList(unique(ch)))
	}
}

// trainCase is one run of Train.
type trainCase struct {
	X             *mat.Dense
	y             []float64
	W             *mat.Dense
	K             []float64
	lr            float64
	epochs, batch int
	what          string
}

func trainCases() []trainCase {
	X, y, err := task1.GetData(seedOf(11))
	if err != nil {
		panic(err)
	}
	W, K := task1.InitParams(seedOf(11))
	sub := func(n int) (*mat.Dense, []float64) {
		return mat.DenseCopyOf(X.Slice(0, n, 0, 3)), slices.Clone(y[:n])
	}
	X23, y23 := sub(23)
	X8, y8 := sub(8)
	return []trainCase{
		{X: X23, y: y23, W: W, K: K, lr: 0.1, epochs: 3, batch: 5, what: "N = 23, batch 5 (last batch of 3)"},
		{X: X8, y: y8, W: W, K: K, lr: 0.05, epochs: 2, batch: 3, what: "N = 8, batch 3 (last batch of 2)"},
		{X: X, y: y, W: W, K: K, lr: 0.05, epochs: 4, batch: 10, what: "the 400 samples, batch 10"},
	}
}

// trainKnobs are the knobs of trainVariant, one per known mistake.
type trainKnobs struct {
	end    func(b, bs, n int) int // batch b's end; nil: min((b+1)*bs, n)
	ascent bool                   // W += lr dL/dW: a step along the gradient
}

// trainVariant is Train written by the checker, with knobs, to recognise
// known mistakes.
func trainVariant(ref *Task1Funcs, tc trainCase, k trainKnobs) ([]*mat.Dense, [][]float64) {
	W, K := mat.DenseCopyOf(tc.W), slices.Clone(tc.K)
	n, d := tc.X.Dims()
	end, step := k.end, -tc.lr
	if end == nil {
		end = func(b, bs, n int) int { return min((b+1)*bs, n) }
	}
	if k.ascent {
		step = tc.lr
	}
	var WL []*mat.Dense
	var KL [][]float64
	for range tc.epochs {
		for b := 0; b*tc.batch < n; b++ {
			lo, hi := b*tc.batch, end(b, tc.batch, n)
			if hi <= lo {
				continue
			}
			Xb := tc.X.Slice(lo, hi, 0, d).(*mat.Dense)
			H, A, O := ref.DNNForward(Xb, W, K)
			dW, dK := ref.DNNBackward(Xb, tc.y[lo:hi], W, K, H, A, O)
			dW.Scale(step, dW)
			W.Add(W, dW)
			for i := range K {
				K[i] += step * dK[i]
			}
		}
		WL = append(WL, mat.DenseCopyOf(W))
		KL = append(KL, slices.Clone(K))
	}
	return WL, KL
}

// sameStart reports whether every entry of WList and KList holds the
// starting W and K: a Train that never stepped.
func sameStart(tc trainCase, gW []*mat.Dense, gK [][]float64) bool {
	for e := range gW {
		if isNil(gW[e]) || !mat.Equal(gW[e], tc.W) {
			return false
		}
	}
	for e := range gK {
		if !slices.Equal(gK[e], tc.K) {
			return false
		}
	}
	return len(gW) > 0
}

// diffHistory compares per-epoch lists.
func diffHistory(wW []*mat.Dense, wK [][]float64, gW []*mat.Dense, gK [][]float64, t tol) *mismatch {
	for e := range wW {
		if e >= len(gW) || e >= len(gK) {
			return &mismatch{reason: fmt.Sprintf("epoch %d is missing", e+1), row: -1}
		}
		if m := diffDense(fmt.Sprintf("WList[%d]", e), wW[e], gW[e], t); m != nil {
			m.reason = fmt.Sprintf("after epoch %d: %s", e+1, m.reason)
			return m
		}
		if m := diffVec(fmt.Sprintf("KList[%d]", e), wK[e], gK[e], t); m != nil {
			m.reason = fmt.Sprintf("after epoch %d: %s", e+1, m.reason)
			return m
		}
	}
	return nil
}

// checkTrain: the values of every epoch (3, or 1 of them lost for the
// template's dropped last sample), one entry per epoch (1), the loss of
// the 400 samples lowered (1), the inputs left unchanged (1). A Train
// that does not lower the loss keeps no point at all: returning one
// entry per epoch is no progress in itself.
// lossDidNotFall takes every point of a training item whose returned
// weights do not lower the loss on the 400 samples (why, the diagnosis
// when there is one, leads the reason): entries per epoch alone earn
// nothing. It reports whether it did.
func lossDidNotFall(c *Ctx, before, after float64, why string) bool {
	if after < before {
		return false
	}
	msg := fmt.Sprintf("the loss on the 400 samples did not fall: %.4g before training, %.4g after, so no point is kept", before, after)
	if why != "" {
		msg = why + "; " + msg
	}
	c.LoseAll(Fail, "%s", msg)
	return true
}

func checkTrain(c *Ctx, s, ref *Task1Funcs) {
	var snap snapshot
	epochsBad, valuesBad := "", ""
	var valuesDetail string
	offByOne, ascent, unchanged, extraEpoch := true, false, true, true
	var lossBefore, lossAfter float64
	for i, tc := range trainCases() {
		snap.dense("X", tc.X)
		snap.dense("W", tc.W)
		snap.vec("y", tc.y)
		snap.vec("K", tc.K)
		wW, wK := ref.Train(mat.DenseCopyOf(tc.X), slices.Clone(tc.y), mat.DenseCopyOf(tc.W), slices.Clone(tc.K), tc.lr, tc.epochs, tc.batch, false)
		gW, gK := s.Train(tc.X, tc.y, tc.W, tc.K, tc.lr, tc.epochs, tc.batch, false)
		if i == 0 && len(gW) == 0 && len(gK) == 0 {
			c.LoseAll(NotDone, "not implemented: Train returns no epochs")
			return
		}
		extraEpoch = extraEpoch && len(gW) == tc.epochs+1 && len(gK) == tc.epochs+1
		if (len(gW) != tc.epochs || len(gK) != tc.epochs) && epochsBad == "" {
			epochsBad = fmt.Sprintf("%s, %d epochs: WList has %d entries and KList %d, expected one per epoch", tc.what, tc.epochs, len(gW), len(gK))
		}
		m := diffHistory(wW, wK, gW, gK, trainTol)
		if m != nil {
			bW, bK := trainVariant(ref, tc, trainKnobs{end: func(b, bs, n int) int { return min((b+1)*bs, n-1) }})
			offByOne = offByOne && diffHistory(bW, bK, gW, gK, trainTol) == nil
			unchanged = unchanged && sameStart(tc, gW, gK)
			// Run on every failing case, as a Train wrong everywhere
			// runs it when the fixtures are recorded; judged on the
			// first failing case's first epoch (an ascent soon
			// overflows to NaN).
			aW, aK := trainVariant(ref, tc, trainKnobs{ascent: true})
			if valuesBad == "" {
				ascent = diffHistory(aW[:1], aK[:1], gW, gK, trainTol) == nil
				valuesBad = tc.what + ": " + m.reason
				valuesDetail = m.detail
				if len(gW) > 1 && gW[0] == gW[len(gW)-1] {
					valuesBad += " (every WList entry is the same matrix: append a copy, mat.DenseCopyOf(W), after each epoch)"
				}
			}
		}
		if i == len(trainCases())-1 {
			_, _, O0 := ref.DNNForward(tc.X, tc.W, tc.K)
			lossBefore = task1.Loss(O0, tc.y)
			lossAfter = math.NaN()
			if len(gW) > 0 && len(gK) > 0 && !isNil(gW[len(gW)-1]) && len(gK[len(gK)-1]) == len(tc.K) {
				if r, cc := gW[len(gW)-1].Dims(); r == 2 && cc == 3 {
					lossAfter = mlpLoss(tc.X, tc.y, gW[len(gW)-1], gK[len(gK)-1])
				}
			}
		}
	}
	if extraEpoch {
		epochsBad += ": that is one epoch more than numEpochs (does the epoch loop run numEpochs+1 times?)"
	}
	if valuesBad != "" {
		switch {
		case unchanged:
			valuesBad = "the weights never changed: every WList and KList entry holds the starting W and K; each batch must step W -= lr dL/dW and K -= lr dL/dK"
		case ascent:
			valuesBad = "gradient ascent: the weights move along the gradient (W += lr dL/dW), which raises the loss; step against it, W -= lr dL/dW and K -= lr dL/dK"
		default:
			valuesBad += helperHint(s, ref)
		}
		if valuesDetail != "" {
			c.Detailf("%s", valuesDetail)
		}
	}
	if lossDidNotFall(c, lossBefore, lossAfter, valuesBad) {
		return
	}
	if epochsBad != "" {
		c.Lose(1, Fail, "%s", epochsBad)
	}
	if valuesBad != "" {
		if offByOne {
			c.Lose(2, Fail, "the batches drop the last sample: batch b ends at min((b+1)*batchSize, N), not N-1 (the original template's bug); otherwise right")
		} else {
			c.Lose(3, Fail, "%s", valuesBad)
		}
	}
	if ch := snap.changed(); len(ch) > 0 {
		c.Lose(1, InputModified, "Train changes its input %s: copy W and K before updating them", andList(unique(ch)))
	}
}

// helperHint says when Train's wrong values may come from the student's
// own DNNForward or DNNBackward, which Train calls.
func helperHint(s, ref *Task1Funcs) (hint string) {
	defer func() {
		if recover() != nil {
			hint = " (your DNNForward or DNNBackward panics; Train uses them: fix those first)"
		}
	}()
	fc := forwardCases()[1]
	if s.DNNForward == nil || s.DNNBackward == nil {
		return ""
	}
	H, A, O := s.DNNForward(mat.DenseCopyOf(fc.X), mat.DenseCopyOf(fc.W), slices.Clone(fc.K))
	wH, wA, wO := ref.DNNForward(fc.X, fc.W, fc.K)
	if diffDense("H", wH, H, closeTol) != nil || diffDense("A", wA, A, closeTol) != nil || diffVec("O", wO, O, closeTol) != nil {
		return " (your DNNForward is wrong, and Train uses it: fix that first)"
	}
	gW, gK := s.DNNBackward(fc.X, fc.y, fc.W, fc.K, wH, wA, wO)
	rW, rK := ref.DNNBackward(fc.X, fc.y, fc.W, fc.K, wH, wA, wO)
	if diffDense("dLdW", rW, gW, closeTol) != nil || diffVec("dLdK", rK, gK, closeTol) != nil {
		return " (your DNNBackward is wrong, and Train uses it: fix that first)"
	}
	return ""
}
