package tensor

import "math"

//go:generate go run gen_directconv.go

// The direct convolution: Conv2d's float32 forward pass and weight
// gradient for small, stride-1 layers (LeNet's two convolutions) without
// im2col. The input gradient still goes through im2col's GEMM and col2im.
//
// With the input padded to [C, Hp, Wp], output position (i, j) is at
// flat index q = i*Wp + j of a plane, and the input element that kernel
// offset (c, ki, kj) multiplies with it is at q + off, off = c*Hp*Wp +
// ki*Wp + kj: the same shift for every output. So 16 consecutive q are
// one vector load per tap, and a vector kernel computes 6 output channels
// at up to 64 consecutive q at a time, each weight broadcast once per tap:
// the GEMM micro-kernel's arithmetic with the input read where it lies
// instead of from an im2col copy. The q with j >= OW (the last K-1 of
// each row of Wp) are not outputs; their lanes are masked off, neither
// read nor stored, and the valid lanes of a vector are packed together
// (VCOMPRESSPS), since they are consecutive outputs of [OH, OW].
//
// Every output is one FMA chain over the taps (c, ki, kj) in im2col's row
// order, from zero, and then the bias is added: the sums of the im2col
// GEMM (one K block, as C*K*K <= directMaxTaps), so the same bits.
//
// Where it pays: im2col copies every input element K*K times in runs of
// OW (10 floats for LeNet's conv2), and a GEMM whose K is C*K*K = 25 or
// 150 spends as long packing and copying as multiplying. The masked q
// cost (Wp-OW)/Wp of the vector work, so layers whose rows are mostly
// padding stay with im2col.

const (
	// directMaxTaps keeps the chain within the im2col GEMM's one K block
	// (kc = 256), so that both give the same bits.
	directMaxTaps = 256
	// directMaxImage is the largest padded image, in floats, that runs
	// direct: it is read once per block of 6 output channels and 64
	// positions, so it should stay in L1 or L2 (64 KiB).
	directMaxImage = 16384
)

// useDirect reports whether Conv2d's forward pass of this float32
// geometry runs as a direct convolution: AVX-512, stride 1, a kernel of
// at least 2 x 2 (1 x 1 is a plain GEMM), at most directMaxTaps taps, a
// padded image of at most directMaxImage floats, and at most half again
// as many positions q as outputs (the masked ones are wasted work:
// LeNet's conv2, 14-wide rows for 10 outputs, computes 136 q for 100).
func (g convGeom) useDirect(dtype DType) bool {
	if dtype != Float32 || !directKernels() || g.s != 1 || g.k < 2 || g.ckk > directMaxTaps {
		return false
	}
	hp, wp := g.h+2*g.p, g.w+2*g.p
	span := (g.oh-1)*wp + g.ow
	return g.c*hp*wp <= directMaxImage && 2*span <= 3*g.ohw
}

// negZero32 is -0, the bias of an output channel without one.
var negZero32 = math.Float32frombits(1 << 31)

// directPlan holds what a direct convolution precomputes once per call.
type directPlan struct {
	hp, wp int
	nvec   int      // vectors of 16 positions covering the span of q
	masks  []uint16 // per vector: the lanes that are outputs
	smasks []uint16 // per vector: as many low bits as masks has set
	yoff   []int32  // per vector: the output index of its first output lane
	off    []int    // per tap (c, ki, kj): its shift in the padded image
	w      []float32
	bias   []float32
}

// newDirectPlan tables the geometry.
func newDirectPlan(g convGeom) *directPlan {
	p := &directPlan{hp: g.h + 2*g.p, wp: g.w + 2*g.p}
	span := (g.oh-1)*p.wp + g.ow
	p.nvec = (span + 15) / 16
	p.masks = make([]uint16, p.nvec)
	p.smasks = make([]uint16, p.nvec)
	p.yoff = make([]int32, p.nvec)
	for v := range p.nvec {
		first := -1
		n := 0
		for lane := range 16 {
			q := 16*v + lane
			if q < span && q%p.wp < g.ow {
				p.masks[v] |= 1 << lane
				if first < 0 {
					first = q
				}
				n++
			}
		}
		p.smasks[v] = uint16(1<<n - 1)
		if first >= 0 {
			p.yoff[v] = int32(first/p.wp*g.ow + first%p.wp)
		}
	}
	p.off = make([]int, 0, g.ckk)
	for c := range g.c {
		for ki := range g.k {
			for kj := range g.k {
				p.off = append(p.off, c*p.hp*p.wp+ki*p.wp+kj)
			}
		}
	}
	return p
}

// packWeights packs the weights [OC, C*K*K] as blocks of 6 channels,
// [blocks][taps][6], zero-padded, and the bias likewise, -0 where there
// is none (x + -0 is x for every x).
func (p *directPlan) packWeights(g convGeom, w, b []float32) {
	blocks := (g.oc + 5) / 6
	p.w = make([]float32, blocks*g.ckk*6)
	p.bias = make([]float32, blocks*6)
	for o := range g.oc {
		bo := o / 6 * g.ckk * 6
		for t, v := range w[o*g.ckk : (o+1)*g.ckk] {
			p.w[bo+t*6+o%6] = v
		}
	}
	for o := range p.bias {
		p.bias[o] = negZero32
	}
	copy(p.bias, b)
}

// blocksOfFour cuts n into the fewest blocks of at most 4 (a kernel
// call's vectors or taps), of sizes as equal as they come (a kernel with
// few independent FMA chains waits on their latency), and calls f(i0,
// size) on each.
func blocksOfFour(n int, f func(i0, size int)) {
	calls := (n + 3) / 4
	for c, i0 := 0, 0; c < calls; c++ {
		size := (n - i0 + calls - c - 1) / (calls - c)
		f(i0, size)
		i0 += size
	}
}

// directForward is conv2dForward for a geometry useDirect accepts.
func directForward(g convGeom, y, x, w, b []float32) {
	p := newDirectPlan(g)
	p.packWeights(g, w, b)
	perImage(true, g.n, g.imageFlops, func(i int) {
		xp, scratch := padImage(x[i*g.chw:(i+1)*g.chw], g.c, g.h, g.w, g.p)
		directImage(g, p, y[i*g.oc*g.ohw:(i+1)*g.oc*g.ohw], xp)
		if scratch {
			putScratch(xp)
		}
	})
}

// directImage computes one image's output [OC, OH, OW] from its padded
// input [C, Hp, Wp].
func directImage(g convGeom, p *directPlan, y, xp []float32) {
	_ = xp[g.c*p.hp*p.wp-1] // the last element a valid lane can read
	for o0 := 0; o0 < g.oc; o0 += 6 {
		noc := min(6, g.oc-o0)
		wb := p.w[o0*g.ckk : (o0+6)*g.ckk]
		yb := y[o0*g.ohw:]
		_ = yb[(noc-1)*g.ohw+g.ohw-1]
		blocksOfFour(p.nvec, func(v0, nv int) {
			directKernel(nv, g.ckk, p.off, wb, xp[16*v0:], yb, g.ohw, noc, p.masks[v0:v0+nv], p.smasks[v0:v0+nv], p.yoff[v0:v0+nv], p.bias[o0:o0+6])
		})
	}
}

// directWeightGrad adds the weight gradient of images [n0, n0+nb) to dw
// [OC, C*K*K], for a geometry useDirect accepts:
//
//	dw[o][t] += sum over images and outputs q of gy[o][q] * xp[q+off[t]]
//
// With the output gradient spread onto the positions q (zeros where j >=
// OW), this is the forward kernel's loop with the roles turned: each
// lane of 16 sums its positions over the images, then the lanes are
// added. It replaces im2col and the transposing GEMM of the weight
// gradient (for LeNet's conv1, a GEMM whose K is 25).
func directWeightGrad(g convGeom, p *directPlan, dw, x, gy []float32, n0, nb int) {
	if nb <= 0 {
		return
	}
	// Chunks of about directGradPositions positions: each kernel call
	// sweeps a chunk for 6 channels and up to 4 taps, then adds its 24
	// sums to dw, so a chunk should be long enough for the adds to cost
	// little and short enough to stay in L2.
	chunk := max(1, min(nb, directGradPositions/(16*p.nvec)))
	pieces := (nb + chunk - 1) / chunk
	chunk = (nb + pieces - 1) / pieces
	for i0 := 0; i0 < nb; i0 += chunk {
		directWeightGradChunk(g, p, dw, x, gy, n0+i0, min(chunk, nb-i0))
	}
}

// directGradPositions is the number of positions a chunk of the direct
// weight gradient aims at (LeNet: 4 images of conv1, 28 of conv2).
const directGradPositions = 4096

func directWeightGradChunk(g convGeom, p *directPlan, dw, x, gy []float32, n0, nb int) {
	plane := 16 * p.nvec
	ocp := (g.oc + 5) / 6 * 6 // planes per image: whole blocks of 6
	gq := getScratch[float32](nb * ocp * plane)
	defer putScratch(gq)
	clear(gq)
	for i := range nb {
		for o := range g.oc {
			copyRows(gq[(i*ocp+o)*plane:], p.wp, gy[((n0+i)*g.oc+o)*g.ohw:], g.ow, g.oh, g.ow)
		}
	}
	img := g.c * p.hp * p.wp
	xp := x[n0*g.chw : (n0+nb)*g.chw]
	if g.p > 0 {
		xp = getScratch[float32](nb * img)
		defer putScratch(xp)
		for i := range nb {
			padInto(xp[i*img:(i+1)*img], x[(n0+i)*g.chw:], g.c, g.h, g.w, g.p)
		}
	}
	_ = xp[nb*img-1] // the last element a valid lane of the last image can read
	for o0 := 0; o0 < g.oc; o0 += 6 {
		noc := min(6, g.oc-o0)
		blocksOfFour(g.ckk, func(t0, nt int) {
			directGradKernel(nb, p.nvec, xp, img, gq[o0*plane:], plane, ocp*plane, p.masks, p.off[t0:t0+nt], dw[o0*g.ckk+t0:], g.ckk, noc)
		})
	}
}
