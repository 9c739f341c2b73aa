//go:build amd64 && !purego

package tensor

import "golang.org/x/sys/cpu"

var (
	hasAVX512 = cpu.X86.HasAVX512F
	hasAVX2   = cpu.X86.HasAVX2
)

// sigmoidAVX512 and sigmoidAVX2 compute sigmoid32 on n elements, n a
// multiple of 16 and 8 respectively (vecmath_amd64.s).
//
//go:noescape
func sigmoidAVX512(dst, src *float32, n int)

//go:noescape
func sigmoidAVX2(dst, src *float32, n int)

// sigmoidVec is sigmoidGo on 16 (AVX-512) or 8 (AVX2) lanes at a time; the
// ragged end goes through sigmoidGo, which gives the same bits.
func sigmoidVec(dst, src []float32) {
	src = src[:len(dst)]
	n := len(dst)
	switch {
	case hasAVX512 && n >= 16:
		v := n &^ 15
		sigmoidAVX512(&dst[0], &src[0], v)
		sigmoidGo(dst[v:], src[v:])
	case hasAVX2 && n >= 8:
		v := n &^ 7
		sigmoidAVX2(&dst[0], &src[0], v)
		sigmoidGo(dst[v:], src[v:])
	default:
		sigmoidGo(dst, src)
	}
}

// reluAVX512 and reluBackAVX512 are reluForward and reluBackward for
// float32 on n elements, n a multiple of 16 (relu_amd64.s).
//
//go:noescape
func reluAVX512(dst, src *float32, n int)

//go:noescape
func reluBackAVX512(dst, gr, y *float32, n int)

// reluVec is reluForward for float32, 16 lanes at a time where the CPU has
// AVX-512; the same results.
func reluVec(dst, src []float32) {
	src = src[:len(dst)]
	v := 0
	if hasAVX512 && len(dst) >= 16 {
		v = len(dst) &^ 15
		reluAVX512(&dst[0], &src[0], v)
	}
	reluForward(dst[v:], src[v:])
}

// reluBackVec is reluBackward for float32, vectorised likewise.
func reluBackVec(dst, g, y []float32) {
	g, y = g[:len(dst)], y[:len(dst)]
	v := 0
	if hasAVX512 && len(dst) >= 16 {
		v = len(dst) &^ 15
		reluBackAVX512(&dst[0], &g[0], &y[0], v)
	}
	reluBackward(dst[v:], g[v:], y[v:])
}

//go:noescape
func sigmoidBackAVX512(dst, gr, y *float32, n int)

// sigmoidBackVec is sigmoidBackward for float32, 16 lanes at a time where
// the CPU has AVX-512; the same operations in the same order, so the same
// bits.
func sigmoidBackVec(dst, g, y []float32) {
	g, y = g[:len(dst)], y[:len(dst)]
	v := 0
	if hasAVX512 && len(dst) >= 16 {
		v = len(dst) &^ 15
		sigmoidBackAVX512(&dst[0], &g[0], &y[0], v)
	}
	sigmoidBackward(dst[v:], g[v:], y[v:])
}

//go:noescape
func addConstAVX512(dst *float32, c float32, n int)

// addConst adds c to every element of s (16 lanes at a time for float32
// where the CPU has AVX-512; the same results).
func addConst[T float](s []T, c T) {
	v := 0
	if d, ok := any(s).([]float32); ok && hasAVX512 && len(d) >= 16 {
		v = len(d) &^ 15
		addConstAVX512(&d[0], any(c).(float32), v)
	}
	for i := range s[v:] {
		s[v+i] += c
	}
}

//go:noescape
func bnNormAVX512(dst, src *float32, n int, tm, ta, tb float32)

//go:noescape
func bnGradAVX512(dst, gy, x *float32, n int, a, b, d, tm float32)

// bnNormVec is bnNormRow, 16 lanes at a time for float32 where the CPU
// has AVX-512; the same bits.
func bnNormVec[T float](y, x []T, tm, ta, tb T) {
	x = x[:len(y)]
	v := 0
	if y32, ok := any(y).([]float32); ok && hasAVX512 && len(y) >= 16 {
		x32 := any(x).([]float32)
		v = len(y) &^ 15
		bnNormAVX512(&y32[0], &x32[0], v, any(tm).(float32), any(ta).(float32), any(tb).(float32))
	}
	bnNormRow(y[v:], x[v:], tm, ta, tb)
}

// bnGradVec is bnGradRow, vectorised likewise; the same bits.
func bnGradVec[T float](gx, gy, x []T, a, b, d, tm T) {
	gy, x = gy[:len(gx)], x[:len(gx)]
	v := 0
	if g32, ok := any(gx).([]float32); ok && hasAVX512 && len(gx) >= 16 {
		gy32, x32 := any(gy).([]float32), any(x).([]float32)
		v = len(gx) &^ 15
		bnGradAVX512(&g32[0], &gy32[0], &x32[0], v, any(a).(float32), any(b).(float32), any(d).(float32), any(tm).(float32))
	}
	bnGradRow(gx[v:], gy[v:], x[v:], a, b, d, tm)
}

//go:noescape
func bnRowSumAVX512(x *float32, n int) float64

//go:noescape
func bnRowSqDevAVX512(x *float32, n int, mu float64) float64

//go:noescape
func bnRowBackSumsAVX512(gy, x *float32, n int, mu float64) (sg, sgx float64)

// bnRowSumVec, bnRowSqDevVec and bnRowBackSumsVec are bnRowSum,
// bnRowSqDev and bnRowBackSums with the full blocks of 16 float32 on
// AVX-512 where the CPU has it; the same operations in the same order, so
// the same bits.
func bnRowSumVec[T float](x []T) float64 {
	x32, ok := any(x).([]float32)
	if !ok || !hasAVX512 || len(x) < 16 {
		return bnRowSum(x)
	}
	nb := len(x) &^ 15
	s := bnRowSumAVX512(&x32[0], nb)
	for _, v := range x32[nb:] {
		s += float64(v)
	}
	return s
}

func bnRowSqDevVec[T float](x []T, mu float64) float64 {
	x32, ok := any(x).([]float32)
	if !ok || !hasAVX512 || len(x) < 16 {
		return bnRowSqDev(x, mu)
	}
	nb := len(x) &^ 15
	s := bnRowSqDevAVX512(&x32[0], nb, mu)
	for _, v := range x32[nb:] {
		d := float64(v) - mu
		s += float64(d * d)
	}
	return s
}

func bnRowBackSumsVec[T float](gy, x []T, mu float64) (sg, sgx float64) {
	g32, ok := any(gy).([]float32)
	if !ok || !hasAVX512 || len(gy) < 16 {
		return bnRowBackSums(gy, x, mu)
	}
	x32 := any(x).([]float32)[:len(g32)]
	nb := len(g32) &^ 15
	sg, sgx = bnRowBackSumsAVX512(&g32[0], &x32[0], nb, mu)
	for i, v := range g32[nb:] {
		gv := float64(v)
		sg += gv
		sgx += float64(gv * (float64(x32[nb+i]) - mu))
	}
	return sg, sgx
}
