package tensor

// Winograd's minimal filtering F(2x2, 3x3) for 3 x 3, stride-1
// convolutions (Lavin and Gray, "Fast Algorithms for Convolutional Neural
// Networks", 2015). A 2 x 2 block of outputs of one input channel is
//
//	Y = A^T [ (G g G^T) ⊙ (B^T d B) ] A
//
// where g is the 3 x 3 kernel, d the 4 x 4 input tile the block reads,
// ⊙ the elementwise product and
//
//	B^T = | 1  0 -1  0 |    G = | 1    0    0   |    A^T = | 1  1  1  0 |
//	      | 0  1  1  0 |        | 1/2  1/2  1/2 |          | 0  1 -1 -1 |
//	      | 0 -1  1  0 |        | 1/2 -1/2  1/2 |
//	      | 0  1  0 -1 |        | 0    0    1   |
//
// Summed over input channels, each of the 16 positions ξ of the 4 x 4
// products is a matrix product over the channels,
//
//	M_ξ [OC, T] = U_ξ [OC, C] x V_ξ [C, T]
//
// with U_ξ the transformed kernels, V_ξ the transformed input tiles and T
// the tiles of a chunk of images: 16 GEMMs of 16*OC*C*T multiply-adds
// where im2col's one GEMM does 36*OC*C*T (2.25 times as many), and the
// input is expanded 4 times instead of 9.
//
// The gradient is the adjoint of the same chain. With dY the gradient of a
// 2 x 2 block and dM = A dY A^T,
//
//	dU_ξ = sum over tiles of dM_ξ V_ξ^T      ([OC, T] x [T, C], one GEMM per ξ)
//	dW   = G^T dU G                          (per kernel, 4 x 4 -> 3 x 3)
//
// and the input gradient is itself a 3 x 3 stride-1 convolution of dY
// (padding 2 - p) with the kernels turned by 180 degrees and their two
// channel axes swapped, whose transforms are U's with rows and columns 0
// and 3 exchanged (G J = P G for J the reversal and P that exchange), so
// it runs through the same forward code and needs no col2im.
//
// Every sum runs in a fixed order that depends only on the shapes and
// GOMAXPROCS (the weight gradient's per-worker partial sums are added in
// worker order), so a seed gives the same bits run after run. The results
// are not bitwise those of im2col: the transforms round differently.
// winograd_test.go compares both methods against each other in float64
// (to about 1e-13) and float32 and checks the gradients by finite
// differences.

// winoMinChannels is the smallest number of input and output channels for
// which a float32 3 x 3 stride-1 convolution uses Winograd: with few
// channels the GEMMs are too thin to gain from being 2.25 times smaller,
// and the transforms dominate. Tests lower it to reach small shapes.
var winoMinChannels = 16

// winoFloat64 lets float64 convolutions use Winograd too (tests only: the
// float64 path is the engine's reference for gradient checks).
var winoFloat64 = false

// winoGoLoops makes the Winograd transforms run the Go loops even where
// vector kernels exist (tests compare the two).
var winoGoLoops = false

// winoChunkTiles is the number of tiles (GEMM columns) a chunk aims at,
// as convChunkCols is for im2col.
const winoChunkTiles = 512

// useWinograd says whether Conv2d computes g by Winograd for a tensor of
// this dtype: 3 x 3 kernels, stride 1, padding 0 to 2 (the input
// gradient's convolution then has padding 2 - p >= 0), enough channels.
func (g convGeom) useWinograd(dtype DType) bool {
	if dtype != Float32 && !winoFloat64 {
		return false
	}
	return g.k == 3 && g.s == 1 && g.p <= 2 && g.c >= winoMinChannels && g.oc >= winoMinChannels
}

// winoGrid is a convolution's tile grid over an output of oh x ow: th x tw
// tiles of 2 x 2 (the last row and column of tiles cut short when oh or ow
// is odd), the first reading the input from row and column -p.
type winoGrid struct {
	c, h, w, p int // input channels, height, width, padding
	oh, ow     int
	th, tw     int
}

func newWinoGrid(c, h, w, p, oh, ow int) winoGrid {
	return winoGrid{c: c, h: h, w: w, p: p, oh: oh, ow: ow, th: (oh + 1) / 2, tw: (ow + 1) / 2}
}

func (q winoGrid) tiles() int { return q.th * q.tw }

// winoPlan shares out a convolution's images like convGeom.plan, with
// chunks of about winoChunkTiles tiles.
func winoPlan(n, tilesPerImage, imageFlops int) convPlan {
	chunk := min(max(1, (winoChunkTiles+tilesPerImage-1)/tilesPerImage), max(n, 1))
	workers := splitWorkers(n, imageFlops)
	if per := (n + workers - 1) / max(workers, 1); workers > 1 && per < chunk {
		workers = 1
	}
	return convPlan{workers: workers, chunk: chunk}
}

// winoForward is conv2dForward by Winograd.
func winoForward[T float](g convGeom, y, x, w, b []T) {
	u := getScratch[T](16 * g.oc * g.c)
	defer putScratch(u)
	winoWeights(u, w, g.oc, g.c, false)
	grid := newWinoGrid(g.c, g.h, g.w, g.p, g.oh, g.ow)
	tpi := grid.tiles()
	p := winoPlan(g.n, tpi, g.imageFlops)
	serial := p.workers > 1
	ntp := roundUp16(p.chunk * tpi)
	p.forEach(g.n, func(_, lo, hi int) {
		v := getScratch[T](16 * g.c * ntp)
		m := getScratch[T](16 * g.oc * ntp)
		defer putScratch(v)
		defer putScratch(m)
		p.chunks(lo, hi, func(n0, nb int) {
			ch := newWinoChunk(grid, nb, g.oc)
			winoConv(!serial, grid, &ch, g.oc, u, x[n0*g.chw:(n0+nb)*g.chw], v, m, y[n0*g.oc*g.ohw:(n0+nb)*g.oc*g.ohw], b)
		})
	})
}

// winoBackward is conv2dBackward by Winograd.
func winoBackward[T float](g convGeom, gy, x, w, gx, gw, gb []T) {
	fwd := newWinoGrid(g.c, g.h, g.w, g.p, g.oh, g.ow)
	// The input gradient's convolution: dY [N, OC, OH, OW] in, dX out.
	bwd := newWinoGrid(g.oc, g.oh, g.ow, 2-g.p, g.h, g.w)
	var ud []T // its transformed kernels [16, C, OC]
	if gx != nil {
		ud = getScratch[T](16 * g.c * g.oc)
		defer putScratch(ud)
		winoWeights(ud, w, g.oc, g.c, true)
	}
	tpi := max(fwd.tiles(), bwd.tiles())
	p := winoPlan(g.n, tpi, g.imageFlops)
	serial := p.workers > 1
	// Per-worker partial sums of dU and db, added in worker order.
	pu := make([][]T, p.workers)
	pb := make([][]T, p.workers)
	p.forEach(g.n, func(worker, lo, hi int) {
		var du, db []T
		if gw != nil {
			du = getScratch[T](16 * g.oc * g.c)
			clear(du)
			pu[worker] = du
		}
		if gb != nil {
			db = gb
			if worker > 0 {
				db = getScratch[T](len(gb))
				clear(db)
				pb[worker] = db
			}
		}
		size := 16 * max(g.c, g.oc) * roundUp16(p.chunk*tpi)
		v := getScratch[T](size)
		m := getScratch[T](size)
		defer putScratch(v)
		defer putScratch(m)
		p.chunks(lo, hi, func(n0, nb int) {
			gyc := gy[n0*g.oc*g.ohw : (n0+nb)*g.oc*g.ohw]
			if du != nil {
				// dU_ξ += dM_ξ V_ξ^T
				ch := newWinoChunk(fwd, nb, g.oc)
				vx := v[:16*g.c*ch.ntp]
				dm := m[:16*g.oc*ch.ntp]
				winoInput(!serial, fwd, &ch, vx, x[n0*g.chw:(n0+nb)*g.chw])
				winoOutputAdjoint(!serial, fwd, &ch, g.oc, dm, gyc)
				perImage(!serial, 16, 2*g.oc*g.c*ch.nt, func(xi int) {
					gemmT(true, false, true, g.oc, g.c, ch.nt, dm[xi*g.oc*ch.ntp:], ch.ntp, vx[xi*g.c*ch.ntp:], ch.ntp, 1, du[xi*g.oc*g.c:], g.c)
				})
			}
			if gx != nil {
				ch := newWinoChunk(bwd, nb, g.c)
				winoConv(!serial, bwd, &ch, g.c, ud, gyc, v, m, gx[n0*g.chw:(n0+nb)*g.chw], nil)
			}
			if db != nil {
				addBiasGrad(db, gyc, nb, g.oc, g.ohw)
			}
		})
	})
	if gw != nil {
		for worker := 1; worker < p.workers; worker++ {
			axpy(pu[0], pu[worker], 1)
			putScratch(pu[worker])
		}
		winoWeightGrad(gw, pu[0], g.oc, g.c)
		putScratch(pu[0])
	}
	for worker := 1; worker < p.workers; worker++ {
		if pb[worker] != nil {
			axpy(gb, pb[worker], 1)
			putScratch(pb[worker])
		}
	}
}

// addBiasGrad adds to db [OC] the sums of the nb images' planes of g [nb,
// OC, ohw], image after image.
func addBiasGrad[T float](db, g []T, nb, oc, ohw int) {
	for i := range nb {
		gi := g[i*oc*ohw : (i+1)*oc*ohw]
		for o := range db {
			db[o] += sumLanes8(gi[o*ohw : (o+1)*ohw])
		}
	}
}

func roundUp16(n int) int { return (n + 15) &^ 15 }

// winoChunk is the tile layout of a chunk of nb images: tiles numbered
// image by image, row by row, nt of them; the rows of V, M and dM are ntp
// (nt rounded up to 16) long, so that the vector kernels work on whole
// groups of 16 tiles (the GEMMs read the first nt columns only).
type winoChunk struct {
	nb, nt, ntp int
	// The input's planes of one channel are copied into [nb, ph, pw] at
	// row and column p, zero around (the padding); in[t] is where tile
	// t's 4 x 4 window starts there.
	ph, pw int
	in     []int32
	// out[t] is where tile t's 2 x 2 block starts in the output [nb, outC,
	// OH, OW] (channel 0), and outMasks[4*g+i] has bit l set when block
	// position i (00, 01, 10, 11) of tile 16*g+l lies inside OH x OW.
	out      []int32
	outMasks []uint16
}

func newWinoChunk(q winoGrid, nb, outC int) winoChunk {
	ch := winoChunk{nb: nb, nt: nb * q.tiles(), ph: 2*q.th + 2, pw: 2*q.tw + 2}
	ch.ntp = roundUp16(ch.nt)
	ch.in = make([]int32, ch.ntp)
	ch.out = make([]int32, ch.ntp)
	ch.outMasks = make([]uint16, ch.ntp/4)
	t := 0
	for img := range nb {
		for ti := range q.th {
			for tj := range q.tw {
				ch.in[t] = int32(img*ch.ph*ch.pw + 2*ti*ch.pw + 2*tj)
				bit := uint16(1) << (t % 16)
				ch.out[t] = int32(img*outC*q.oh*q.ow + 2*ti*q.ow + 2*tj)
				om := ch.outMasks[4*(t/16):][:4]
				om[0] |= bit
				if 2*tj+1 < q.ow {
					om[1] |= bit
				}
				if 2*ti+1 < q.oh {
					om[2] |= bit
					if 2*tj+1 < q.ow {
						om[3] |= bit
					}
				}
				t++
			}
		}
	}
	return ch
}

// winoConv computes the convolution of the chunk's images x [nb, C, H, W]
// with the transformed kernels u [16, OC, C] into y [nb, OC, OH, OW], plus
// the bias b when not nil, using v and m as the V and M buffers. With par
// set it runs on every core.
func winoConv[T float](par bool, q winoGrid, ch *winoChunk, oc int, u, x, v, m, y, b []T) {
	v = v[:16*q.c*ch.ntp]
	m = m[:16*oc*ch.ntp]
	winoInput(par, q, ch, v, x)
	perImage(par, 16, 2*oc*q.c*ch.nt, func(xi int) {
		gemmT(true, false, false, oc, ch.nt, q.c, u[xi*oc*q.c:], q.c, v[xi*q.c*ch.ntp:], ch.ntp, 0, m[xi*oc*ch.ntp:], ch.ntp)
	})
	winoOutput(par, q, ch, oc, y, m, b)
}

// winoWeights writes the transformed kernels of w [OC, C, 3, 3]: with
// dgrad unset U [16, OC, C], U_ξ[o][c] = (G w[o][c] G^T)_ξ; with dgrad set
// those of the input gradient's convolution, [16, C, OC], the kernel
// w[o][c] turned by 180 degrees at [ξ][c][o], which is U with ξ's row and
// column indices 0 and 3 exchanged.
func winoWeights[T float](u, w []T, oc, c int, dgrad bool) {
	plane := oc * c
	var perm [16]int    // where position ξ of G g G^T goes
	var offs [16]int    // the same in bytes from a float32 U_0 element
	var lanes [16]int32 // kernel l of a group of 16, in elements of w
	for xi := range perm {
		perm[xi] = xi
		if dgrad {
			swap := [4]int{3, 1, 2, 0}
			perm[xi] = 4*swap[xi/4] + swap[xi%4]
		}
		offs[xi] = 4 * perm[xi] * plane
	}
	// Kernels in the order of U's rows: (o, c) with c fastest, or with
	// dgrad (c, o) with o fastest; rows of n kernels, kernel j of row r
	// at w[r*rowStep + j*step].
	rows, n, rowStep, step := oc, c, 9*c, 9
	if dgrad {
		rows, n, rowStep, step = c, oc, 9, 9*c
	}
	for l := range lanes {
		lanes[l] = int32(l * step)
	}
	perRange(true, rows, 64*n, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			at := r * n // U's elements for the row: U_ξ[at .. at+n)
			j := 0
			if groups := n / 16; groups > 0 && winoWeightsVec(u[at:], &offs, w[r*rowStep:], 16*step, &lanes, groups) {
				j = 16 * groups
			}
			for ; j < n; j++ {
				t := winoKernel((*[9]T)(w[r*rowStep+j*step:]))
				for xi, v := range t {
					u[perm[xi]*plane+at+j] = v
				}
			}
		}
	})
}

// winoKernel is G g G^T for one 3 x 3 kernel g.
func winoKernel[T float](g *[9]T) [16]T {
	var h [12]T // G g, 4 x 3
	for j := range 3 {
		g0, g1, g2 := g[j], g[3+j], g[6+j]
		h[j] = g0
		h[3+j] = (g0 + g1 + g2) / 2
		h[6+j] = (g0 - g1 + g2) / 2
		h[9+j] = g2
	}
	var t [16]T // (G g) G^T, 4 x 4
	for i := range 4 {
		h0, h1, h2 := h[3*i], h[3*i+1], h[3*i+2]
		t[4*i] = h0
		t[4*i+1] = (h0 + h1 + h2) / 2
		t[4*i+2] = (h0 - h1 + h2) / 2
		t[4*i+3] = h2
	}
	return t
}

// winoWeightGrad writes G^T dU G into every kernel of gw [OC, C, 3, 3],
// from du [16, OC, C].
func winoWeightGrad[T float](gw, du []T, oc, c int) {
	plane := oc * c
	var lanes [16]int32
	for l := range lanes {
		lanes[l] = int32(9 * l)
	}
	groups := plane / 16
	perRange(true, groups+1, 16*64, func(lo, hi int) {
		at, end := 16*lo, min(16*hi, plane)
		if n := min(hi, groups) - lo; n > 0 && winoWeightGradVec(gw[9*at:], du[at:], plane, &lanes, n) {
			at += 16 * n
		}
		for ; at < end; at++ {
			var d [16]T
			for xi := range d {
				d[xi] = du[xi*plane+at]
			}
			var h [12]T // G^T dU, 3 x 4
			for j := range 4 {
				d0, d1, d2, d3 := d[j], d[4+j], d[8+j], d[12+j]
				h[j] = d0 + (d1+d2)/2
				h[4+j] = (d1 - d2) / 2
				h[8+j] = (d1+d2)/2 + d3
			}
			k := (*[9]T)(gw[at*9:])
			for i := range 3 {
				h0, h1, h2, h3 := h[4*i], h[4*i+1], h[4*i+2], h[4*i+3]
				k[3*i] = h0 + (h1+h2)/2
				k[3*i+1] = (h1 - h2) / 2
				k[3*i+2] = (h1+h2)/2 + h3
			}
		}
	})
}

// winoInput writes V [16, C, ntp] for the chunk's images x [nb, C, H, W]:
// V_ξ[c][t] = (B^T d B)_ξ for d the 4 x 4 window of tile t in channel c,
// zero outside the image. Each goroutine copies a channel's planes into
// its padded buffer (whose border, zeroed once, stays zero: ph >= H + p and
// pw >= W + p for every padding the grid takes), then transforms them.
func winoInput[T float](par bool, q winoGrid, ch *winoChunk, v, x []T) {
	hw, pp := q.h*q.w, ch.ph*ch.pw
	vs := q.c * ch.ntp
	perRange(par, q.c, 16*ch.ntp, func(lo, hi int) {
		xp := getScratch[T](ch.nb * pp)
		defer putScratch(xp)
		clear(xp)
		for c := lo; c < hi; c++ {
			for img := range ch.nb {
				plane := img*q.c + c
				copyRows(xp[img*pp+q.p*ch.pw+q.p:], ch.pw, x[plane*hw:(plane+1)*hw], q.w, q.h, q.w)
			}
			vc := v[c*ch.ntp:]
			if winoInputVec(vc, vs, xp, ch.pw, ch.in) {
				continue
			}
			for t := range ch.nt {
				win := xp[ch.in[t]:]
				var d [16]T
				for r := range 4 {
					copy(d[4*r:4*r+4], win[r*ch.pw:r*ch.pw+4])
				}
				// B^T d, one column at a time.
				var e [16]T
				for s := range 4 {
					d0, d1, d2, d3 := d[s], d[4+s], d[8+s], d[12+s]
					e[s] = d0 - d2
					e[4+s] = d1 + d2
					e[8+s] = d2 - d1
					e[12+s] = d1 - d3
				}
				// (B^T d) B, one row at a time.
				for i := range 4 {
					e0, e1, e2, e3 := e[4*i], e[4*i+1], e[4*i+2], e[4*i+3]
					vc[(4*i)*vs+t] = e0 - e2
					vc[(4*i+1)*vs+t] = e1 + e2
					vc[(4*i+2)*vs+t] = e2 - e1
					vc[(4*i+3)*vs+t] = e1 - e3
				}
			}
		}
	})
}

// winoOutput writes y [nb, OC, OH, OW] from M [16, OC, ntp]: the 2 x 2
// block of tile t is A^T m A with m_ξ = M_ξ[o][t], plus b[o] when b is not
// nil; the parts of the last tiles beyond OH or OW are dropped.
func winoOutput[T float](par bool, q winoGrid, ch *winoChunk, oc int, y, m, b []T) {
	ohw := q.oh * q.ow
	ms := oc * ch.ntp
	perRange(par, oc, 16*ch.ntp, func(lo, hi int) {
		for o := lo; o < hi; o++ {
			var bias T
			if b != nil {
				bias = b[o]
			}
			yo, mo := y[o*ohw:], m[o*ch.ntp:]
			if winoOutputVec(yo, q.ow, mo, ms, ch.out, ch.outMasks, bias) {
				continue
			}
			for t := range ch.nt {
				var s [16]T
				for xi := range s {
					s[xi] = mo[xi*ms+t]
				}
				// A^T m: two rows of four.
				var a, c [4]T
				for k := range 4 {
					a[k] = s[k] + s[4+k] + s[8+k]
					c[k] = s[4+k] - s[8+k] - s[12+k]
				}
				// (A^T m) A, the positions inside the output only.
				mk := ch.outMasks[4*(t/16):][:4]
				bit := uint16(1) << (t % 16)
				at := ch.out[t]
				yo[at] = a[0] + a[1] + a[2] + bias
				if mk[1]&bit != 0 {
					yo[at+1] = a[1] - a[2] - a[3] + bias
				}
				if mk[2]&bit != 0 {
					yo[int(at)+q.ow] = c[0] + c[1] + c[2] + bias
				}
				if mk[3]&bit != 0 {
					yo[int(at)+q.ow+1] = c[1] - c[2] - c[3] + bias
				}
			}
		}
	})
}

// winoOutputAdjoint writes dM [16, OC, ntp], dM_ξ[o][t] = (A dy A^T)_ξ
// for dy the 2 x 2 block of tile t in g [nb, OC, OH, OW] (zero beyond OH
// or OW): the adjoint of winoOutput.
func winoOutputAdjoint[T float](par bool, q winoGrid, ch *winoChunk, oc int, dm, g []T) {
	ohw := q.oh * q.ow
	ds := oc * ch.ntp
	perRange(par, oc, 16*ch.ntp, func(lo, hi int) {
		for o := lo; o < hi; o++ {
			dmo, gof := dm[o*ch.ntp:], g[o*ohw:]
			if winoAdjointVec(dmo, ds, gof, q.ow, ch.out, ch.outMasks) {
				continue
			}
			for t := range ch.nt {
				mk := ch.outMasks[4*(t/16):][:4]
				bit := uint16(1) << (t % 16)
				at := int(ch.out[t])
				var d00, d01, d10, d11 T
				d00 = gof[at]
				if mk[1]&bit != 0 {
					d01 = gof[at+1]
				}
				if mk[2]&bit != 0 {
					d10 = gof[at+q.ow]
				}
				if mk[3]&bit != 0 {
					d11 = gof[at+q.ow+1]
				}
				// A dy: four rows of two; then (A dy) A^T.
				r := [4][2]T{{d00, d01}, {d00 + d10, d01 + d11}, {d00 - d10, d01 - d11}, {-d10, -d11}}
				for i, ri := range r {
					dmo[(4*i)*ds+t] = ri[0]
					dmo[(4*i+1)*ds+t] = ri[0] + ri[1]
					dmo[(4*i+2)*ds+t] = ri[0] - ri[1]
					dmo[(4*i+3)*ds+t] = -ri[1]
				}
			}
		}
	})
}
