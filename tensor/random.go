package tensor

import "math/rand/v2"

// NewRNG returns a deterministic generator for a seed (PCG).
func NewRNG(seed uint64) *rand.Rand { return rand.New(NewPCG(seed)) }

// NewPCG returns the source NewRNG draws from, for callers that must save
// and restore the generator's state (rand.PCG marshals it).
func NewPCG(seed uint64) *rand.PCG { return rand.NewPCG(seed, seed^0x9e3779b97f4a7c15) }

// RandUniform returns a tensor of values uniform in [lo, hi).
func RandUniform(rng *rand.Rand, dtype DType, lo, hi float64, shape ...int) *Tensor {
	t := New(dtype, shape...)
	t.UniformFill(rng, lo, hi)
	return t
}

// RandNormal returns a tensor of standard-normal values scaled by std.
func RandNormal(rng *rand.Rand, dtype DType, mean, std float64, shape ...int) *Tensor {
	t := New(dtype, shape...)
	for i := range t.Numel() {
		v := mean + std*rng.NormFloat64()
		if dtype == Float32 {
			t.f32[i] = float32(v)
		} else {
			t.f64[i] = v
		}
	}
	return t
}

// UniformFill overwrites t in place with values uniform in [lo, hi). On a
// device the values are drawn on the host, the same ones as on the CPU,
// and uploaded.
func (t *Tensor) UniformFill(rng *rand.Rand, lo, hi float64) {
	if t.dev != nil {
		vals := make([]float64, t.Numel())
		for i := range vals {
			vals[i] = lo + (hi-lo)*rng.Float64()
		}
		t.backendOf().upload(t, vals)
		return
	}
	for i := range t.Numel() {
		v := lo + (hi-lo)*rng.Float64()
		if t.dtype == Float32 {
			t.f32[i] = float32(v)
		} else {
			t.f64[i] = v
		}
	}
}

// AddScaledInPlace does t += alpha * x outside autograd (an optimiser's
// update).
func (t *Tensor) AddScaledInPlace(alpha float64, x *Tensor) {
	checkSameDType("AddScaledInPlace", t, x)
	if t.Numel() != x.Numel() {
		panic("tensor: AddScaledInPlace: sizes differ")
	}
	if d := devOf("AddScaledInPlace", t, x); d != nil {
		d.axpy(t, x, alpha)
		return
	}
	if t.dtype == Float32 {
		axpy(t.f32, x.f32, float32(alpha))
	} else {
		axpy(t.f64, x.f64, alpha)
	}
}

// ScaleInPlace does t *= alpha outside autograd.
func (t *Tensor) ScaleInPlace(alpha float64) {
	if t.dev != nil {
		t.backendOf().scale(t, alpha)
		return
	}
	if t.dtype == Float32 {
		a := float32(alpha)
		parallelFor(len(t.f32), 16, func(lo, hi int) {
			for i := range t.f32[lo:hi] {
				t.f32[lo+i] *= a
			}
		})
	} else {
		for i := range t.f64 {
			t.f64[i] *= alpha
		}
	}
}
