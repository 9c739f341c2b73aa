package tensor

import "fmt"

// ResizeBilinear resizes x [N, C, H, W] to [N, C, h, w] by bilinear
// interpolation, matching PyTorch's F.interpolate(x, size=(h, w),
// mode="bilinear", align_corners=False) without antialias. Output row i
// samples the source row at its pixel centre,
//
//	src = (i + 0.5) * H/h - 0.5,   clamped to 0 below,
//
// between rows r0 = floor(src) and r1 = min(r0+1, H-1) with weights
// 1 - (src - r0) and src - r0; columns likewise. When shrinking, this
// samples rather than averaging over each output pixel's footprint.
//
// It is a data-preparation step (the kit resizes Fashion-MNIST to 96 x 96
// for ResNet-18) and has no gradient: the result never has a history.
func ResizeBilinear(x *Tensor, h, w int) *Tensor {
	const op = "ResizeBilinear"
	check4D(op, "input", x)
	x.hostOnly(op + " (data preparation runs on the CPU)")
	if h <= 0 || w <= 0 {
		panic(fmt.Sprintf("tensor: %s: output size %dx%d must be positive", op, h, w))
	}
	if x.shape[2] == 0 || x.shape[3] == 0 {
		panic(fmt.Sprintf("tensor: %s: input %v has an empty plane", op, x.shape))
	}
	g := resizeGeom{planes: x.shape[0] * x.shape[1], inH: x.shape[2], inW: x.shape[3], h: h, w: w}
	g.r0, g.r1, g.rl = resizeTaps(g.inH, h)
	g.c0, g.c1, g.cl = resizeTaps(g.inW, w)
	out := New(x.dtype, x.shape[0], x.shape[1], h, w)
	if x.dtype == Float32 {
		resizeForward(g, out.f32, x.f32)
	} else {
		resizeForward(g, out.f64, x.f64)
	}
	out.op = op
	return out
}

type resizeGeom struct {
	planes, inH, inW, h, w int
	// Output row i reads rows r0[i] and r1[i] with weight rl[i] on r1;
	// columns likewise.
	r0, r1, c0, c1 []int
	rl, cl         []float64
}

// resizeTaps returns PyTorch's source indices and weights for one axis
// (align_corners=False).
func resizeTaps(in, out int) (i0, i1 []int, lambda []float64) {
	i0, i1, lambda = make([]int, out), make([]int, out), make([]float64, out)
	scale := float64(in) / float64(out)
	for i := range out {
		src := max((float64(i)+0.5)*scale-0.5, 0)
		i0[i] = min(int(src), in-1)
		i1[i] = min(i0[i]+1, in-1)
		lambda[i] = src - float64(i0[i])
	}
	return i0, i1, lambda
}

func resizeForward[T float](g resizeGeom, y, x []T) {
	hw, ohw := g.inH*g.inW, g.h*g.w
	splitWork(g.planes, 4*ohw, func(_, lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			xp, yp := x[pl*hw:(pl+1)*hw], y[pl*ohw:(pl+1)*ohw]
			for i := range g.h {
				top, bot := xp[g.r0[i]*g.inW:], xp[g.r1[i]*g.inW:]
				h1 := T(g.rl[i])
				h0 := 1 - h1
				row := yp[i*g.w : (i+1)*g.w]
				for j := range row {
					w1 := T(g.cl[j])
					w0 := 1 - w1
					a, b := g.c0[j], g.c1[j]
					row[j] = h0*(w0*top[a]+w1*top[b]) + h1*(w0*bot[a]+w1*bot[b])
				}
			}
		}
	})
}
