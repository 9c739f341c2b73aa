package tensor

import "fmt"

// AdaptiveAvgPool2d averages x [N, C, H, W] into an [N, C, outH, outW] grid
// of bins, as PyTorch's nn.AdaptiveAvgPool2d((outH, outW)). Output row i
// averages input rows
//
//	floor(i*H/outH) <= r < ceil((i+1)*H/outH)
//
// and likewise for columns, so the bins cover the input, have sizes that
// differ by at most one, and overlap when outH does not divide H (5 -> 3
// gives rows {0,1}, {1,2,3}, {3,4}). outH larger than H is allowed (bins
// of one row, repeated).
//
// Gradient: each output is the mean of its bin, so dL/dx[r][c] is the sum,
// over the bins containing (r, c), of dL/dy / (bin size); overlapping bins
// both contribute.
func AdaptiveAvgPool2d(x *Tensor, outH, outW int) *Tensor {
	const op = "AdaptiveAvgPool2d"
	check4D(op, "input", x)
	if outH <= 0 || outW <= 0 {
		panic(fmt.Sprintf("tensor: %s: output size %dx%d must be positive", op, outH, outW))
	}
	if x.shape[2] == 0 || x.shape[3] == 0 {
		panic(fmt.Sprintf("tensor: %s: input %v has an empty plane", op, x.shape))
	}
	g := adaptiveGeom{n: x.shape[0], c: x.shape[1], planes: x.shape[0] * x.shape[1], h: x.shape[2], w: x.shape[3], oh: outH, ow: outW}
	g.r0, g.r1 = adaptiveBins(g.h, outH)
	g.c0, g.c1 = adaptiveBins(g.w, outW)
	be := backendFor(op, x)
	out := be.adaptiveAvgPool(x, g)
	return record(out, op, func(gy *Tensor) { accum(x, be.adaptiveAvgPoolBackward(gy, g), true) }, x)
}

type adaptiveGeom struct {
	n, c, planes, h, w, oh, ow int
	r0, r1, c0, c1             []int // bin i covers rows [r0[i], r1[i]), columns [c0[j], c1[j])
}

// adaptiveBins returns PyTorch's bin bounds start = floor(i*in/out),
// end = ceil((i+1)*in/out).
func adaptiveBins(in, out int) (start, end []int) {
	start, end = make([]int, out), make([]int, out)
	for i := range out {
		start[i] = i * in / out
		end[i] = ((i+1)*in + out - 1) / out
	}
	return start, end
}

func adaptiveForward[T float](g adaptiveGeom, y, x []T) {
	hw, ohw := g.h*g.w, g.oh*g.ow
	splitWork(g.planes, hw+ohw, func(_, lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			xp, yp := x[pl*hw:(pl+1)*hw], y[pl*ohw:(pl+1)*ohw]
			for i := range g.oh {
				for j := range g.ow {
					var s T
					for r := g.r0[i]; r < g.r1[i]; r++ {
						for _, v := range xp[r*g.w+g.c0[j] : r*g.w+g.c1[j]] {
							s += v
						}
					}
					yp[i*g.ow+j] = s / T((g.r1[i]-g.r0[i])*(g.c1[j]-g.c0[j]))
				}
			}
		}
	})
}

func adaptiveBackward[T float](g adaptiveGeom, gx, gy []T) {
	hw, ohw := g.h*g.w, g.oh*g.ow
	splitWork(g.planes, hw+ohw, func(_, lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			xp, yp := gx[pl*hw:(pl+1)*hw], gy[pl*ohw:(pl+1)*ohw]
			for i := range g.oh {
				for j := range g.ow {
					v := yp[i*g.ow+j] / T((g.r1[i]-g.r0[i])*(g.c1[j]-g.c0[j]))
					for r := g.r0[i]; r < g.r1[i]; r++ {
						row := xp[r*g.w+g.c0[j] : r*g.w+g.c1[j]]
						for k := range row {
							row[k] += v
						}
					}
				}
			}
		}
	})
}
