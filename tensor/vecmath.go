package tensor

import "math"

// Float32 kernels for the elementwise transcendental functions, written so
// that the pure-Go loop and the assembly ones (vecmath_amd64.s) execute the
// same IEEE operations in the same order and therefore give bitwise-equal
// results: no fused multiply-adds (every product is rounded to float32
// before it is added, which the explicit float32 conversions enforce in Go),
// rounding to an integer by adding and subtracting 1.5 * 2^23, and one
// correctly rounded division. The same seed thus gives the same numbers
// with or without AVX, and under the purego tag or on arm64.

// Constants of exp32. The reduction is Cody and Waite's: e^z = 2^n e^r with
// n = round(z log2 e) and r = z - n ln2, where ln2 = ln2Hi + ln2Lo and ln2Hi
// has 9 significant bits, so n*ln2Hi is exact for |n| < 2^15 and r is
// computed almost exactly; |r| <= ln2/2. e^r is Cephes' expf polynomial
// (relative error about 1.2e-7 on that range). Inputs are clamped to
// [expMin, expMax]: below expMin, e^z rounds to 0 in float32; above expMax
// it overflows to +Inf.
const (
	expMin   = -104
	expMax   = 88.8
	log2e    = 1.44269504088896341
	roundMag = 12582912 // 1.5 * 2^23: x + roundMag - roundMag rounds x to an integer (ties to even) for |x| < 2^22
	ln2Hi    = 0.693359375
	ln2Lo    = -2.12194440e-4
	expC5    = 1.9875691500e-4
	expC4    = 1.3981999507e-3
	expC3    = 8.3334519073e-3
	expC2    = 4.1665795894e-2
	expC1    = 1.6666665459e-1
	expC0    = 5.0000001201e-1
)

// exp32 is e^x in float32, within 2 ulp of the correctly rounded value for
// every x (see TestExp32Accuracy), +Inf above about 88.72, 0 below about
// -103.97 (with gradual underflow in between), NaN for NaN.
func exp32(x float32) float32 {
	if x < expMin {
		x = expMin
	}
	if x > expMax {
		x = expMax
	}
	return expReduced(x)
}

// expReduced is exp32 after clamping. The scale 2^n is applied as two
// powers 2^n1 2^n2 (n1 = n>>1), both normal for n in [-150, 128], so that
// results in the subnormal range are rounded once, by the last product.
func expReduced(x float32) float32 {
	t := float32(x * log2e)
	nf := float32(float32(t+roundMag) - roundMag)
	r := x - float32(nf*ln2Hi)
	r -= float32(nf * ln2Lo)
	z := float32(r * r)
	p := float32(float32(expC5*r) + expC4)
	p = float32(float32(p*r) + expC3)
	p = float32(float32(p*r) + expC2)
	p = float32(float32(p*r) + expC1)
	p = float32(float32(p*r) + expC0)
	p = float32(float32(p*z) + r)
	p = p + 1
	n := int32(nf)
	n1 := n >> 1
	n2 := n - n1
	s1 := math.Float32frombits(uint32(n1+127) << 23)
	s2 := math.Float32frombits(uint32(n2+127) << 23)
	return float32(p*s1) * s2
}

// sigmoid32 is 1 / (1 + e^-x) in float32, computed from e = e^-|x| (never
// overflowing) as 1/(1+e) for x >= 0 and e/(1+e) for x < 0.
func sigmoid32(x float32) float32 {
	z := math.Float32frombits(math.Float32bits(x) | 1<<31) // -|x|
	if z < expMin {
		z = expMin
	}
	e := expReduced(z)
	num := e
	if x >= 0 {
		num = 1
	}
	return num / (1 + e)
}

// sigmoidGo is the reference loop: dst[i] = sigmoid32(src[i]).
func sigmoidGo(dst, src []float32) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] = sigmoid32(v)
	}
}

// sigmoidSlice sets dst[i] = sigmoid32(src[i]) with the widest kernel the
// CPU has (sigmoidVec), splitting long slices across goroutines.
func sigmoidSlice(dst, src []float32) {
	src = src[:len(dst)]
	parallelFor(len(dst), 8, func(lo, hi int) { sigmoidVec(dst[lo:hi], src[lo:hi]) })
}
