package tensor

import "slices"

//go:generate sh -c "python3 ../scripts/gen_winograd.py && gofmt -w winograd_gen.go"

// Winograd's minimal filtering F(m x m, 3 x 3) for 3 x 3, stride-1
// convolutions (Lavin and Gray, "Fast Algorithms for Convolutional Neural
// Networks", 2015), with m = 2 (the default, for accuracy), 3 or 4. An m x m block of outputs of one
// input channel is
//
//	Y = A^T [ (G g G^T) ⊙ (B^T d B) ] A
//
// where g is the 3 x 3 kernel, d the (m+2) x (m+2) input tile the block
// reads, ⊙ the elementwise product, and B^T, G, A^T the Toom-Cook matrices
// of m+1 interpolation points and infinity (0, +-1 for m = 2; 0, +-1, 2
// for m = 3; 0, +-1, +-2 for m = 4, whose matrices are Lavin and Gray's).
// For m = 2, for example,
//
//	B^T = | -1  0  1  0 |    G = | -1    0    0   |    A^T = | 1  1  1  0 |
//	      |  0  1  1  0 |        |  1/2  1/2  1/2 |          | 0  1 -1  1 |
//	      |  0 -1  1  0 |        |  1/2 -1/2  1/2 |
//	      |  0 -1  0  1 |        |  0    0    1   |
//
// scripts/gen_winograd.py derives them, and writes the transforms as Go
// loops (winograd_gen.go) and AVX-512 kernels (winograd_amd64.s) with the
// same operations in the same order.
//
// Summed over input channels, each of the (m+2)^2 positions ξ of the
// products is a matrix product over the channels,
//
//	M_ξ [OC, T] = U_ξ [OC, C] x V_ξ [C, T]
//
// with U_ξ the transformed kernels, V_ξ the transformed input tiles and T
// the tiles of a chunk of images: (m+2)^2/m^2 multiplies per output (4,
// 2.8, 2.25) where im2col's one GEMM does 9.
//
// The gradient is the adjoint of the same chain. With dY the gradient of a
// block and dM = A dY A^T,
//
//	dU_ξ = sum over tiles of dM_ξ V_ξ^T      ([OC, T] x [T, C], one GEMM per ξ)
//	dW   = G^T dU G                          (per kernel)
//
// and the input gradient is itself a 3 x 3 stride-1 convolution of dY
// (padding 2 - p) with the kernels turned by 180 degrees and their two
// channel axes swapped, so it runs through the same forward code and
// needs no col2im.
//
// Larger tiles multiply less but round more. Against float64, on
// ResNet-18's layers (post-ReLU inputs, Kaiming weights), the relative
// norm error of a float32 output is about 2.4e-7 for F(2x2), 0.8-1.0e-6
// for F(3x3) and 0.7-1.5e-6 for F(4x4) (1.4-1.9e-6 with the channel sums
// in one chain, as SetWinogradFast runs them), the gradients alike; PyTorch's
// float32 (oneDNN's direct convolution) is 1.6e-7 for the output and
// 2.1e-7 for the input gradient, and im2col here 1.8-1.9e-7
// (winograd_test.go pins ours; `go run ./cmd/bench -work accuracy`
// measures both libraries on the same values). Most of the larger tiles'
// error is not in the transforms' own rounding but in how A^T amplifies
// the rounding of the products M: with U and V rounded to float32 and M
// summed exactly, F(4x4) would still be 3-4 times PyTorch's error and
// F(3x3) twice, whatever the interpolation points (0, +-1, +-1/2 instead
// of +-2 changes it by a few percent here; Barabasz et al. report up to
// a third) or the scaling of the rows (powers of two round nothing). The
// sum over channels is the other part, and the cheap one to fix: a single
// FMA chain over 256 or 512 channels loses as much again, so the channel
// sums run in blocks of at most 64 (winoKBlock), which makes F(2x2) as
// accurate on 512 channels as on 64. So winoTile uses F(2x2), within 1.6
// times PyTorch's error on every layer, and faster than im2col on each:
// forward and backward of batch 32, CPU time on one core, 27, 18, 19 and
// 34 ms for the 24 x 24 to 3 x 3 layers against im2col's 30, 30, 36 and
// 50. SetWinogradFast picks the tile with the fewest products instead,
// with one chain per channel sum, as before: 21, 14, 14 and 26 ms (F(4x4),
// F(4x4), F(3x3), F(3x3)), a quarter less, for 8-12 times PyTorch's error.
//
// Every sum runs in a fixed order that depends only on the shapes and
// GOMAXPROCS (the weight gradient's per-worker partial sums are added in
// worker order), so a seed gives the same bits run after run. The results
// are not bitwise those of im2col: the transforms round differently.
// winograd_test.go compares Winograd with the direct loops in float64
// (within 1e-12) and float32, checks the gradients by finite differences
// and trains a small network both ways.

// winoMinChannels is the smallest number of input and output channels for
// which a float32 3 x 3 stride-1 convolution uses Winograd: with few
// channels the GEMMs are too thin to gain from being 2.25 times smaller,
// and the transforms dominate. Tests lower it to reach small shapes.
var winoMinChannels = 16

// winoAnyKind lets every 3 x 3 stride-1 convolution of enough channels
// use Winograd: float64 ones and float32 ones without vector transforms
// too (tests only: float64 im2col is the engine's reference for gradient
// checks, and the Go loops are slower than im2col).
var winoAnyKind = false

// winoGoLoops makes the Winograd transforms run the Go loops even where
// vector kernels exist (tests compare the two).
var winoGoLoops = false

// winoForceTile, when not 0, is the tile every Winograd convolution uses
// (tests run every tile size on every shape).
var winoForceTile = 0

// winoChunkTiles is the number of tiles (GEMM columns) a chunk aims at,
// as convChunkCols is for im2col.
const winoChunkTiles = 512

// winoKBlock is the most input channels one GEMM of the products sums:
// the sum over C channels runs as blocks of at most 64 channels, each
// accumulated alone and then added to the running total, which rounds
// like a two-level pairwise sum. In float32 that halves F(2x2)'s error on
// 256 and 512 channels (a single FMA chain of 256 products loses about
// as much as the transforms do). SetWinogradFast turns it off: on 512
// channels of 3 x 3 planes the short GEMMs cost F(3x3) a fifth more.
var winoKBlock = 64

// useWinograd says whether Conv2d computes g by Winograd for a tensor of
// this dtype: 3 x 3 kernels, stride 1, padding 0 to 2 (the input
// gradient's convolution then has padding 2 - p >= 0), enough channels,
// and float32 with the vector transforms (winoVectorKernels: AVX-512).
// Elsewhere the Go loops of the transforms would cost more than the GEMM
// work they save (measured: the ResNet-18 step went from 70 to 50
// examples/s with them), so the convolution stays im2col; tests force the
// Go loops (ForceWinograd) to check them on every build.
func (g convGeom) useWinograd(dtype DType) bool {
	if !winoAnyKind && (dtype != Float32 || !winoVectorKernels()) {
		return false
	}
	return g.k == 3 && g.s == 1 && g.p <= 2 && g.c >= winoMinChannels && g.oc >= winoMinChannels
}

// winoTile is the output block size m (2, 3 or 4) of the F(m x m, 3 x 3)
// used for an output of oh x ow: F(2x2), the only one whose float32
// error stays within twice PyTorch's (see the top of this file), unless
// SetWinogradFast asked for the one with the fewest products, (m+2)^2 per
// tile times tiles, the smaller m on a tie.
func winoTile(oh, ow int) int {
	if winoForceTile != 0 {
		return winoForceTile
	}
	if !winoFast {
		return 2
	}
	best, cost := 0, 0
	for m := 2; m <= 4; m++ {
		c := (m + 2) * (m + 2) * ((oh + m - 1) / m) * ((ow + m - 1) / m)
		if best == 0 || c < cost {
			best, cost = m, c
		}
	}
	return best
}

// winoFast is SetWinogradFast's setting.
var winoFast = false

// SetWinogradFast makes float32 3 x 3 convolutions use the Winograd tile
// with the fewest multiplications (F(4x4, 3x3) on ResNet-18's 24 x 24 and
// 12 x 12 planes, F(3x3, 3x3) on 6 x 6 and 3 x 3) instead of F(2x2, 3x3),
// and returns the previous setting. The larger tiles make those layers
// about a quarter faster (forward and backward), and the channel sums run
// as one chain, but their float32 error is 8-12 times PyTorch's (F(2x2):
// 1.2-1.6 times); training does not notice either. Not safe to call while
// convolutions run.
func SetWinogradFast(on bool) (was bool) {
	was, winoFast = winoFast, on
	return was
}

// winoGrid is a convolution's tile grid over an output of oh x ow: th x tw
// tiles of m x m (the last row and column of tiles cut short when m does
// not divide oh or ow), each reading an (m+2) x (m+2) window of the input,
// the first from row and column -p.
type winoGrid struct {
	m          int // output block; a = m+2 the input window, a*a products
	c, h, w, p int // input channels, height, width, padding
	oh, ow     int
	th, tw     int
}

func newWinoGrid(m, c, h, w, p, oh, ow int) winoGrid {
	return winoGrid{m: m, c: c, h: h, w: w, p: p, oh: oh, ow: ow, th: (oh + m - 1) / m, tw: (ow + m - 1) / m}
}

func (q winoGrid) tiles() int { return q.th * q.tw }

// products is the number of positions ξ (of GEMMs): (m+2)^2.
func (q winoGrid) products() int { return (q.m + 2) * (q.m + 2) }

// winoForward is conv2dForward by Winograd.
func winoForward[T float](g convGeom, y, x, w, b []T) {
	grid := newWinoGrid(winoTile(g.oh, g.ow), g.c, g.h, g.w, g.p, g.oh, g.ow)
	np := grid.products()
	u := getScratch[T](np * g.oc * g.c)
	defer putScratch(u)
	winoWeights(grid.m, u, w, g.oc, g.c, false)
	tpi := grid.tiles()
	p := newConvPlan(g.n, tpi, winoChunkTiles, g.imageFlops)
	serial := p.workers > 1
	ntp := roundUp16(p.chunk * tpi)
	p.forEach(g.n, func(_, lo, hi int) {
		v := getScratch[T](np * g.c * ntp)
		m := getScratch[T](np * g.oc * ntp)
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
	if g.n == 0 { // no images: a zero weight gradient (gw is not cleared)
		clear(gw)
		return
	}
	fwd := newWinoGrid(winoTile(g.oh, g.ow), g.c, g.h, g.w, g.p, g.oh, g.ow)
	// The input gradient's convolution: dY [N, OC, OH, OW] in, dX out.
	bwd := newWinoGrid(winoTile(g.h, g.w), g.oc, g.oh, g.ow, 2-g.p, g.h, g.w)
	var ud []T // its transformed kernels [a*a, C, OC]
	if gx != nil {
		ud = getScratch[T](bwd.products() * g.c * g.oc)
		defer putScratch(ud)
		winoWeights(bwd.m, ud, w, g.oc, g.c, true)
	}
	tpi := max(fwd.tiles(), bwd.tiles())
	p := newConvPlan(g.n, tpi, winoChunkTiles, g.imageFlops)
	serial := p.workers > 1
	// Per-worker partial sums of dU and db, added in worker order.
	pu := make([][]T, p.workers)
	pb := make([][]T, p.workers)
	p.forEach(g.n, func(worker, lo, hi int) {
		var du, db []T
		duBeta := T(0) // the first chunk writes dU, later ones add to it
		if gw != nil {
			du = getScratch[T](fwd.products() * g.oc * g.c)
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
		size := max(fwd.products(), bwd.products()) * max(g.c, g.oc) * roundUp16(p.chunk*tpi)
		v := getScratch[T](size)
		m := getScratch[T](size)
		defer putScratch(v)
		defer putScratch(m)
		p.chunks(lo, hi, func(n0, nb int) {
			gyc := gy[n0*g.oc*g.ohw : (n0+nb)*g.oc*g.ohw]
			if du != nil {
				// dU_ξ += dM_ξ V_ξ^T
				ch := newWinoChunk(fwd, nb, g.oc)
				np := fwd.products()
				vx := v[:np*g.c*ch.ntp]
				dm := m[:np*g.oc*ch.ntp]
				winoInput(!serial, fwd, &ch, vx, x[n0*g.chw:(n0+nb)*g.chw])
				winoOutputAdjoint(!serial, fwd, &ch, g.oc, dm, gyc)
				perImage(!serial, np, 2*g.oc*g.c*ch.nt, func(xi int) {
					gemmT(true, false, true, g.oc, g.c, ch.nt, dm[xi*g.oc*ch.ntp:], ch.ntp, vx[xi*g.c*ch.ntp:], ch.ntp, duBeta, du[xi*g.oc*g.c:], g.c)
				})
				duBeta = 1
			}
			if gx != nil {
				ch := newWinoChunk(bwd, nb, g.c)
				winoConv(!serial, bwd, &ch, g.c, ud, gyc, v, m, gx[n0*g.chw:(n0+nb)*g.chw], nil)
			}
			if db != nil {
				addBiasGrad(db, gyc, nb, g.oc, g.ohw)
			}
		})
		if du != nil && duBeta == 0 { // no chunk: a zero partial sum
			clear(du)
		}
	})
	if gw != nil {
		for worker := 1; worker < p.workers; worker++ {
			axpy(pu[0], pu[worker], 1)
			putScratch(pu[worker])
		}
		winoWeightGrad(fwd.m, gw, pu[0], g.oc, g.c)
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
	// t's window starts there.
	ph, pw int
	in     []int32
	// out[t] is where tile t's m x m block starts in the output [nb, outC,
	// OH, OW] (channel 0), and outMasks[m*m*g + m*i + j] has bit l set when
	// block position (i, j) of tile 16*g+l lies inside OH x OW.
	out      []int32
	outMasks []uint16
}

func newWinoChunk(q winoGrid, nb, outC int) winoChunk {
	m := q.m
	ch := winoChunk{nb: nb, nt: nb * q.tiles(), ph: m*q.th + 2, pw: m*q.tw + 2}
	ch.ntp = roundUp16(ch.nt)
	ch.in = make([]int32, ch.ntp)
	ch.out = make([]int32, ch.ntp)
	ch.outMasks = make([]uint16, ch.ntp/16*m*m)
	t := 0
	for img := range nb {
		for ti := range q.th {
			for tj := range q.tw {
				ch.in[t] = int32(img*ch.ph*ch.pw + m*ti*ch.pw + m*tj)
				ch.out[t] = int32(img*outC*q.oh*q.ow + m*ti*q.ow + m*tj)
				bit := uint16(1) << (t % 16)
				om := ch.outMasks[m*m*(t/16):][:m*m]
				for i := range m {
					for j := range m {
						if m*ti+i < q.oh && m*tj+j < q.ow {
							om[m*i+j] |= bit
						}
					}
				}
				t++
			}
		}
	}
	return ch
}

// winoConv computes the convolution of the chunk's images x [nb, C, H, W]
// with the transformed kernels u [a*a, OC, C] into y [nb, OC, OH, OW], plus
// the bias b when not nil, using v and m as the V and M buffers. With par
// set it runs on every core.
func winoConv[T float](par bool, q winoGrid, ch *winoChunk, oc int, u, x, v, m, y, b []T) {
	np := q.products()
	v = v[:np*q.c*ch.ntp]
	m = m[:np*oc*ch.ntp]
	winoInput(par, q, ch, v, x)
	perImage(par, np, 2*oc*q.c*ch.nt, func(xi int) {
		// M_ξ = U_ξ V_ξ in blocks of channels (winoKBlock).
		maxK := winoKBlock
		if winoFast {
			maxK = q.c // one chain: as fast as it comes
		}
		gemmKBlocks(true, oc, ch.nt, q.c, maxK, u[xi*oc*q.c:], q.c, v[xi*q.c*ch.ntp:], ch.ntp, m[xi*oc*ch.ntp:], ch.ntp)
	})
	winoOutput(par, q, ch, oc, y, m, b)
}

// winoWeights writes the transformed kernels of w [OC, C, 3, 3] for
// F(m x m, 3 x 3): with dgrad unset U [a*a, OC, C], U_ξ[o][c] = (G
// w[o][c] G^T)_ξ; with dgrad set those of the input gradient's
// convolution, [a*a, C, OC], the kernel w[o][c] turned by 180 degrees at
// [ξ][c][o].
func winoWeights[T float](m int, u, w []T, oc, c int, dgrad bool) {
	np := (m + 2) * (m + 2)
	plane := oc * c
	offs := make([]int, np) // where product ξ goes, in bytes from a float32 U_0 element
	for xi := range offs {
		offs[xi] = 4 * xi * plane
	}
	// Kernels in the order of U's rows: (o, c) with c fastest, or with
	// dgrad (c, o) with o fastest; rows of n kernels, kernel j of row r
	// at w[r*rowStep + j*step].
	rows, n, rowStep, step := oc, c, 9*c, 9
	if dgrad {
		rows, n, rowStep, step = c, oc, 9, 9*c
	}
	var lanes [16]int32 // kernel l of a group of 16, in elements of w
	for l := range lanes {
		lanes[l] = int32(l * step)
	}
	perRange(true, rows, 16*np*n, func(lo, hi int) {
		var k [9]T
		var t [36]T
		for r := lo; r < hi; r++ {
			at := r * n // U's elements for the row: U_ξ[at .. at+n)
			j := 0
			if groups := n / 16; groups > 0 && winoWeightsVec(m, dgrad, u[at:], offs, w[r*rowStep:], 16*step, &lanes, groups) {
				j = 16 * groups
			}
			for ; j < n; j++ {
				copy(k[:], w[r*rowStep+j*step:][:9])
				if dgrad {
					slices.Reverse(k[:])
				}
				winoKernelTile(m, &k, &t)
				for xi, v := range t[:np] {
					u[xi*plane+at+j] = v
				}
			}
		}
	})
}

// winoWeightGrad writes the kernel gradients of F(m x m, 3 x 3), G^T dU
// G, into gw [OC, C, 3, 3], from du [a*a, OC, C].
func winoWeightGrad[T float](m int, gw, du []T, oc, c int) {
	np := (m + 2) * (m + 2)
	plane := oc * c
	var lanes [16]int32
	for l := range lanes {
		lanes[l] = int32(9 * l)
	}
	groups := plane / 16
	perRange(true, groups+1, 16*16*np, func(lo, hi int) {
		at, end := 16*lo, min(16*hi, plane)
		if n := min(hi, groups) - lo; n > 0 && winoWeightGradVec(m, gw[9*at:], du[at:], plane, &lanes, n) {
			at += 16 * n
		}
		var d [36]T
		for ; at < end; at++ {
			for xi := range np {
				d[xi] = du[xi*plane+at]
			}
			winoKernelGradTile(m, &d, (*[9]T)(gw[at*9:]))
		}
	})
}

// winoInput writes V [a*a, C, ntp] for the chunk's images x [nb, C, H, W]:
// V_ξ[c][t] = (B^T d B)_ξ for d the a x a window of tile t in channel c,
// zero outside the image. Each goroutine copies a channel's planes into
// its padded buffer (whose border, zeroed once, stays zero: ph >= H + p and
// pw >= W + p for every padding the grid takes), then transforms them.
func winoInput[T float](par bool, q winoGrid, ch *winoChunk, v, x []T) {
	hw, pp := q.h*q.w, ch.ph*ch.pw
	vs := q.c * ch.ntp
	a, np := q.m+2, q.products()
	perRange(par, q.c, np*ch.ntp, func(lo, hi int) {
		xp := getScratch[T](ch.nb * pp)
		defer putScratch(xp)
		clear(xp)
		var d, e [36]T
		for c := lo; c < hi; c++ {
			for img := range ch.nb {
				plane := img*q.c + c
				copyRows(xp[img*pp+q.p*ch.pw+q.p:], ch.pw, x[plane*hw:(plane+1)*hw], q.w, q.h, q.w)
			}
			vc := v[c*ch.ntp:]
			if winoInputVec(q.m, vc, vs, xp, ch.pw, ch.in) {
				continue
			}
			for t := range ch.nt {
				win := xp[ch.in[t]:]
				for r := range a {
					copy(d[a*r:a*r+a], win[r*ch.pw:r*ch.pw+a])
				}
				winoInputTile(q.m, &d, &e)
				for xi, val := range e[:np] {
					vc[xi*vs+t] = val
				}
			}
		}
	})
}

// winoOutput writes y [nb, OC, OH, OW] from M [a*a, OC, ntp]: the m x m
// block of tile t is A^T s A with s_ξ = M_ξ[o][t], plus b[o] when b is not
// nil; the parts of the last tiles beyond OH or OW are dropped.
func winoOutput[T float](par bool, q winoGrid, ch *winoChunk, oc int, y, m, b []T) {
	ohw := q.oh * q.ow
	ms := oc * ch.ntp
	bm, np := q.m, q.products()
	perRange(par, oc, np*ch.ntp, func(lo, hi int) {
		var s [36]T
		var blk [16]T
		for o := lo; o < hi; o++ {
			var bias T
			if b != nil {
				bias = b[o]
			}
			yo, mo := y[o*ohw:], m[o*ch.ntp:]
			if winoOutputVec(bm, yo, q.ow, mo, ms, ch.out, ch.outMasks, bias) {
				continue
			}
			for t := range ch.nt {
				for xi := range np {
					s[xi] = mo[xi*ms+t]
				}
				winoOutputTile(bm, &s, &blk)
				mk := ch.outMasks[bm*bm*(t/16):][:bm*bm]
				bit := uint16(1) << (t % 16)
				at := int(ch.out[t])
				for i := range bm {
					for j := range bm {
						if mk[bm*i+j]&bit != 0 {
							yo[at+i*q.ow+j] = blk[bm*i+j] + bias
						}
					}
				}
			}
		}
	})
}

// winoOutputAdjoint writes dM [a*a, OC, ntp], dM_ξ[o][t] = (A dy A^T)_ξ
// for dy the m x m block of tile t in g [nb, OC, OH, OW] (zero beyond OH
// or OW): the adjoint of winoOutput.
func winoOutputAdjoint[T float](par bool, q winoGrid, ch *winoChunk, oc int, dm, g []T) {
	ohw := q.oh * q.ow
	ds := oc * ch.ntp
	bm, np := q.m, q.products()
	perRange(par, oc, np*ch.ntp, func(lo, hi int) {
		var blk [16]T
		var z [36]T
		for o := lo; o < hi; o++ {
			dmo, gof := dm[o*ch.ntp:], g[o*ohw:]
			if winoAdjointVec(bm, dmo, ds, gof, q.ow, ch.out, ch.outMasks) {
				continue
			}
			for t := range ch.nt {
				mk := ch.outMasks[bm*bm*(t/16):][:bm*bm]
				bit := uint16(1) << (t % 16)
				at := int(ch.out[t])
				for i := range bm {
					for j := range bm {
						blk[bm*i+j] = 0
						if mk[bm*i+j]&bit != 0 {
							blk[bm*i+j] = gof[at+i*q.ow+j]
						}
					}
				}
				winoAdjointTile(bm, &blk, &z)
				for xi, val := range z[:np] {
					dmo[xi*ds+t] = val
				}
			}
		}
	})
}

// The per-tile transforms (winograd_gen.go), on arrays large enough for
// any tile size.

func winoInputTile[T float](m int, d, out *[36]T) {
	switch m {
	case 2:
		wino2InputTile((*[16]T)(d[:16]), (*[16]T)(out[:16]))
	case 3:
		wino3InputTile((*[25]T)(d[:25]), (*[25]T)(out[:25]))
	default:
		wino4InputTile(d, out)
	}
}

func winoOutputTile[T float](m int, s *[36]T, out *[16]T) {
	switch m {
	case 2:
		wino2OutputTile((*[16]T)(s[:16]), (*[4]T)(out[:4]))
	case 3:
		wino3OutputTile((*[25]T)(s[:25]), (*[9]T)(out[:9]))
	default:
		wino4OutputTile(s, out)
	}
}

func winoAdjointTile[T float](m int, dy *[16]T, out *[36]T) {
	switch m {
	case 2:
		wino2AdjointTile((*[4]T)(dy[:4]), (*[16]T)(out[:16]))
	case 3:
		wino3AdjointTile((*[9]T)(dy[:9]), (*[25]T)(out[:25]))
	default:
		wino4AdjointTile(dy, out)
	}
}

func winoKernelTile[T float](m int, g *[9]T, out *[36]T) {
	switch m {
	case 2:
		wino2KernelTile(g, (*[16]T)(out[:16]))
	case 3:
		wino3KernelTile(g, (*[25]T)(out[:25]))
	default:
		wino4KernelTile(g, out)
	}
}

func winoKernelGradTile[T float](m int, d *[36]T, out *[9]T) {
	switch m {
	case 2:
		wino2KernelGradTile((*[16]T)(d[:16]), out)
	case 3:
		wino3KernelGradTile((*[25]T)(d[:25]), out)
	default:
		wino4KernelGradTile(d, out)
	}
}
