package tensor

import (
	"fmt"
	"math"
)

// BatchNorm2d normalises x [N, C, H, W] per channel and applies the affine
// map gamma, beta [C], exactly as PyTorch's F.batch_norm:
//
//	y[n][c][h][w] = gamma[c] * (x[n][c][h][w] - mean[c]) / sqrt(var[c] + eps) + beta[c]
//
// In training mode mean and var are the batch statistics over (N, H, W) (M
// = N*H*W values per channel, the variance biased: divided by M), and the
// running statistics [C] are updated in place, outside autograd:
//
//	runMean = (1 - momentum)*runMean + momentum*mean
//	runVar  = (1 - momentum)*runVar  + momentum*var*M/(M-1)   (unbiased)
//
// In training mode runMean and runVar may be nil (no running statistics,
// PyTorch's track_running_stats=False). In evaluation mode mean and var are
// runMean and runVar, which are required. gamma and beta are always
// required; all four have x's dtype.
//
// # Gradient
//
// Write xhat = (x - mean) * istd with istd = (var + eps)^(-1/2), so y =
// gamma*xhat + beta, and let g = dL/dy. For both modes
//
//	dL/dbeta[c]  = sum over (n, h, w) of g
//	dL/dgamma[c] = sum over (n, h, w) of g * xhat
//
// In evaluation mode mean and istd are constants, so dL/dx = g*gamma*istd.
// In training mode they depend on x. With dvar/dx_i = 2(x_i - mean)/M and
// dmean/dx_i = 1/M, d istd/dx_i = -istd^2 xhat_i / M, hence
//
//	dxhat_j/dx_i = istd (delta_ij - 1/M) - istd xhat_j xhat_i / M
//
// and summing g_j*gamma times this over j:
//
//	dL/dx_i = gamma*istd * (g_i - mean(g) - xhat_i * mean(g*xhat))
//
// where the means are over the channel's M values. The per-channel sums
// are accumulated in float64 whatever the dtype.
func BatchNorm2d(x, gamma, beta, runMean, runVar *Tensor, training bool, momentum, eps float64) *Tensor {
	const op = "BatchNorm2d"
	check4D(op, "input", x)
	n, c, hw := x.shape[0], x.shape[1], x.shape[2]*x.shape[3]
	for _, p := range []struct {
		name, need string // need says when the argument is required
		t          *Tensor
	}{{"gamma", "always", gamma}, {"beta", "always", beta}, {"runMean", "in evaluation mode", runMean}, {"runVar", "in evaluation mode", runVar}} {
		if p.t == nil {
			if training && p.need != "always" {
				continue
			}
			panic(fmt.Sprintf("tensor: %s: %s is nil (required %s)", op, p.name, p.need))
		}
		checkSameDType(op, x, p.t)
		if p.t.Dim() != 1 || p.t.shape[0] != c {
			panic(fmt.Sprintf("tensor: %s: %s %v must be [%d] for input %v", op, p.name, p.t.shape, c, x.shape))
		}
	}
	if (runMean == nil) != (runVar == nil) {
		panic(fmt.Sprintf("tensor: %s: runMean and runVar must both be given or both be nil", op))
	}
	m := n * hw
	if training && m <= 1 {
		panic(fmt.Sprintf("tensor: %s: input %v: training needs more than 1 value per channel", op, x.shape))
	}
	if eps < 0 || math.IsNaN(eps) {
		panic(fmt.Sprintf("tensor: %s: eps %g must be non-negative", op, eps))
	}
	g := bnGeom{n: n, c: c, hw: hw}
	be := backendFor(op, x, gamma, beta, runMean, runVar)
	out, st := be.batchNorm(x, gamma, beta, runMean, runVar, g, training, momentum, eps)
	out = record(out, op, func(gy *Tensor) {
		gx, gg, gb := be.batchNormBackward(gy, x, gamma, st, g, training, x.requiresGrad, gamma.requiresGrad, beta.requiresGrad)
		st.release()
		accumAll(x, gx, gamma, gg, beta, gb)
	}, x, gamma, beta)
	return keepFor(out, st)
}

type bnGeom struct{ n, c, hw int }

// bnForward writes y and returns the mean and istd it normalised with
// (kept for the backward pass).
func bnForward[T float](g bnGeom, y, x, gamma, beta, runMean, runVar []T, training bool, momentum, eps float64) (mean, istd []float64) {
	mean, istd = make([]float64, g.c), make([]float64, g.c)
	m := float64(g.n * g.hw)
	splitWork(g.c, 3*g.n*g.hw, func(_, lo, hi int) {
		for c0 := lo; c0 < hi; {
			// Statistics of bnGroup channels at once where there are
			// that many: independent sums interleaved (each in its own
			// order, so the same bits as one channel at a time).
			nc := 1
			var mus, vs [bnGroup]float64
			switch {
			case !training:
			case c0+bnGroup <= hi:
				nc = bnGroup
				mus, vs = bnStatsGroup(g, x, c0, m)
			default:
				mus[0], vs[0] = bnStats(g, x, c0, m)
			}
			for k := range nc {
				c := c0 + k
				mu, v := mus[k], vs[k]
				if training {
					if runMean != nil {
						runMean[c] = T((1-momentum)*float64(runMean[c]) + momentum*mu)
						runVar[c] = T((1-momentum)*float64(runVar[c]) + momentum*v*m/(m-1))
					}
				} else {
					mu, v = float64(runMean[c]), float64(runVar[c])
				}
				mean[c], istd[c] = mu, 1/math.Sqrt(v+eps)
				// y = (x - mean)*a + beta with a = gamma*istd; subtracting the
				// mean first avoids cancellation in float32.
				tm, ta, tb := T(mu), T(float64(gamma[c])*istd[c]), beta[c]
				for n := range g.n {
					off := (n*g.c + c) * g.hw
					bnNormVec(y[off:off+g.hw], x[off:off+g.hw], tm, ta, tb)
				}
			}
			c0 += nc
		}
	})
	return mean, istd
}

// bnGroup is the number of channels whose sums bnStatsGroup and
// bnBackSumsGroup interleave: float64 additions are latency-bound, and
// independent chains run side by side.
const bnGroup = 4

// bnStats returns channel c's batch mean and biased variance: the mean
// adds the images' plane sums (bnRowSum) in image order; the variance is a
// second pass (no cancellation), the planes' sums of squared deviations
// (bnRowSqDev) added likewise.
func bnStats[T float](g bnGeom, x []T, c int, m float64) (mu, v float64) {
	for n := range g.n {
		mu += bnRowSumVec(x[(n*g.c+c)*g.hw : (n*g.c+c+1)*g.hw])
	}
	mu /= m
	for n := range g.n {
		v += bnRowSqDevVec(x[(n*g.c+c)*g.hw:(n*g.c+c+1)*g.hw], mu)
	}
	return mu, v / m
}

// bnStatsGroup is bnStats for channels c0 .. c0+bnGroup-1, the same
// operations in the same order per channel.
func bnStatsGroup[T float](g bnGeom, x []T, c0 int, m float64) (mu, v [bnGroup]float64) {
	for k := range bnGroup {
		mu[k], v[k] = bnStats(g, x, c0+k, m)
	}
	return mu, v
}

// bnBackSums returns channel c's sum of g and sum of g*(x - mean), one
// running sum each in (image, position) order.
func bnBackSums[T float](g bnGeom, gy, x []T, c int, mu float64) (sg, sgx float64) {
	for n := range g.n {
		off := (n*g.c + c) * g.hw
		a, b := bnRowBackSumsVec(gy[off:off+g.hw], x[off:off+g.hw], mu)
		sg += a
		sgx += b
	}
	return sg, sgx
}

// bnBackSumsGroup is bnBackSums for channels c0 .. c0+bnGroup-1, the same
// operations in the same order per channel.
func bnBackSumsGroup[T float](g bnGeom, gy, x []T, c0 int, mean []float64) (sg, sgx [bnGroup]float64) {
	for k := range bnGroup {
		sg[k], sgx[k] = bnBackSums(g, gy, x, c0+k, mean[c0+k])
	}
	return sg, sgx
}

// bnBackward fills whichever of gx, gg (gamma), gb (beta) is non-nil.
func bnBackward[T float](g bnGeom, gy, x, gamma []T, mean, istd []float64, training bool, gx, gg, gb []T) {
	m := float64(g.n * g.hw)
	splitWork(g.c, 4*g.n*g.hw, func(_, lo, hi int) {
		var sgs, sgxs [bnGroup]float64
		for c := lo; c < hi; c++ {
			mu, is := mean[c], istd[c]
			// sg = sum g, sgx = sum g*xhat = istd * sum g*(x - mean),
			// bnGroup channels at a time where there are that many.
			j := (c - lo) % bnGroup
			switch {
			case c-j+bnGroup > hi: // the tail: one channel at a time
				j = 0
				sgs[0], sgxs[0] = bnBackSums(g, gy, x, c, mu)
			case j == 0:
				sgs, sgxs = bnBackSumsGroup(g, gy, x, c, mean)
			}
			sg, sgx := sgs[j], sgxs[j]
			sgx *= is
			if gg != nil {
				gg[c] = T(sgx)
			}
			if gb != nil {
				gb[c] = T(sg)
			}
			if gx == nil {
				continue
			}
			k := float64(gamma[c]) * is
			// Evaluation: gx = k*g. Training: gx = k*(g - sg/M - xhat*sgx/M)
			// = a*g + b*(x - mean) + d with the per-channel constants a = k,
			// b = -k*istd*sgx/M, d = -k*sg/M.
			a, b, d, tm := T(k), T(0), T(0), T(mu)
			if training {
				b, d = T(-k*is*sgx/m), T(-k*sg/m)
			}
			for n := range g.n {
				off := (n*g.c + c) * g.hw
				bnGradVec(gx[off:off+g.hw], gy[off:off+g.hw], x[off:off+g.hw], a, b, d, tm)
			}
		}
	})
}

// bnNormRow is batch norm's forward on one row: y = (x - tm)*ta + tb.
func bnNormRow[T float](y, x []T, tm, ta, tb T) {
	x = x[:len(y)]
	for i, xv := range x {
		y[i] = (xv-tm)*ta + tb
	}
}

// bnGradRow is batch norm's input gradient on one row:
// gx = a*gy + b*(x - tm) + d.
func bnGradRow[T float](gx, gy, x []T, a, b, d, tm T) {
	gy, x = gy[:len(gx)], x[:len(gx)]
	for i, gv := range gy {
		gx[i] = a*gv + b*(x[i]-tm) + d
	}
}

// The sums of batch norm over one plane, in float64, in the order of the
// AVX-512 kernels (bnRowSumVec and the others use them where they can;
// the same bits): 16 lanes, element i of each full block of 16 added to
// lane i; then lane l+8 added to lane l, l+4 to l, l+2 to l, lane 1 to
// lane 0; then the ragged end one element at a time. Explicit float64
// conversions keep compilers from fusing a multiply and an add.

func bnReduce16(a *[16]float64) float64 {
	var s8 [8]float64
	for l := range s8 {
		s8[l] = a[l] + a[l+8]
	}
	s4 := [4]float64{s8[0] + s8[4], s8[1] + s8[5], s8[2] + s8[6], s8[3] + s8[7]}
	return (s4[0] + s4[2]) + (s4[1] + s4[3])
}

// bnRowSum returns the sum of x.
func bnRowSum[T float](x []T) float64 {
	var a [16]float64
	nb := len(x) &^ 15
	for b := 0; b < nb; b += 16 {
		for l, v := range x[b : b+16] {
			a[l] += float64(v)
		}
	}
	s := bnReduce16(&a)
	for _, v := range x[nb:] {
		s += float64(v)
	}
	return s
}

// bnRowSqDev returns the sum of (x - mu)^2.
func bnRowSqDev[T float](x []T, mu float64) float64 {
	var a [16]float64
	nb := len(x) &^ 15
	for b := 0; b < nb; b += 16 {
		for l, v := range x[b : b+16] {
			d := float64(v) - mu
			a[l] += float64(d * d)
		}
	}
	s := bnReduce16(&a)
	for _, v := range x[nb:] {
		d := float64(v) - mu
		s += float64(d * d)
	}
	return s
}

// bnRowBackSums returns the sums of gy and of gy*(x - mu).
func bnRowBackSums[T float](gy, x []T, mu float64) (sg, sgx float64) {
	x = x[:len(gy)]
	var a, b [16]float64
	nb := len(gy) &^ 15
	for k := 0; k < nb; k += 16 {
		xs := x[k : k+16]
		for l, v := range gy[k : k+16] {
			gv := float64(v)
			a[l] += gv
			b[l] += float64(gv * (float64(xs[l]) - mu))
		}
	}
	sg, sgx = bnReduce16(&a), bnReduce16(&b)
	for i, v := range gy[nb:] {
		gv := float64(v)
		sg += gv
		sgx += float64(gv * (float64(x[nb+i]) - mu))
	}
	return sg, sgx
}
