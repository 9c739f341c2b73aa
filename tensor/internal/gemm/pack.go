package gemm

// packA copies op(A)[ic:ic+mc, pc:pc+kc] into dst as mr-tall slivers: the
// sliver starting at row ir holds op(A)[ic+ir+i][pc+p] at
// dst[ir*kc + p*mr + i]. Rows past mc in a short last sliver keep
// whatever they held: a row of C depends on its own row of A alone, and
// the driver drops the padding rows of the tile.
//
// op(A)[i][p] is a[i*lda+p], or a[p*lda+i] when transA.
func packA[T float](transA bool, a []T, lda, ic, pc, mc, kc, mr int, dst []T) {
	if transA {
		packATrans(a, lda, ic, pc, mc, kc, mr, dst)
		return
	}
	for ir := 0; ir < mc; ir += mr {
		mrr := min(mr, mc-ir)
		d := dst[ir*kc : (ir+mr)*kc]
		for i := 0; i < mrr; i++ {
			src := a[(ic+ir+i)*lda+pc:]
			src = src[:kc]
			for p, v := range src {
				d[p*mr+i] = v
			}
		}
	}
}

// packATrans is packA for a transposed A, whose stored rows are columns of
// op(A). It walks the block row by row, so that each stored row is read in
// one contiguous run (up to 256 slivers) that the hardware prefetcher
// follows, rather than mr elements at a time down the rows (measured: 74 ->
// 87 GFLOP/s on the 4608 x 288 x 512 input-gradient shape).
func packATrans[T float](a []T, lda, ic, pc, mc, kc, mr int, dst []T) {
	const group = 256
	for g0 := 0; g0 < mc; g0 += group * mr {
		gw := min(group*mr, mc-g0)
		nfull := gw / mr * mr
		for p := 0; p < kc; p++ {
			src := a[(pc+p)*lda+ic+g0:][:gw]
			if mr == 6 {
				for ir := 0; ir < nfull; ir += 6 {
					s := src[ir : ir+6]
					d := dst[(g0+ir)*kc+p*6:][:6]
					d[0], d[1], d[2], d[3], d[4], d[5] = s[0], s[1], s[2], s[3], s[4], s[5]
				}
			} else {
				for ir := 0; ir < nfull; ir += mr {
					copy(dst[(g0+ir)*kc+p*mr:][:mr], src[ir:ir+mr])
				}
			}
			if nfull < gw {
				copy(dst[(g0+nfull)*kc+p*mr:][:gw-nfull], src[nfull:])
			}
		}
	}
}

// packB copies op(B)[pc:pc+kc, jc:jc+nc] into dst as nr-wide slivers: the
// sliver starting at column jr holds op(B)[pc+p][jc+jr+j] at
// dst[jr*kc + p*nr + j]. Columns past nc in a short last sliver keep
// whatever they held: a column of C depends on its own column of B
// alone, and the driver drops the padding columns of the tile.
//
// op(B)[p][j] is b[p*ldb+j], or b[j*ldb+p] when transB.
func packB[T float](kern *kernel[T], transB bool, b []T, ldb, pc, jc, kc, nc int, dst []T) {
	nr := kern.nr
	if !transB {
		// Row by row, so that B is read in long contiguous runs (which the
		// hardware prefetcher follows) rather than nr at a time down a
		// column of slivers.
		nfull := nc / nr * nr
		for p := 0; p < kc; p++ {
			src := b[(pc+p)*ldb+jc:][:nc]
			for jr := 0; jr < nfull; jr += nr {
				copy(dst[jr*kc+p*nr:][:nr], src[jr:jr+nr])
			}
			if nfull < nc {
				copy(dst[nfull*kc+p*nr:][:nc-nfull], src[nfull:])
			}
		}
		return
	}
	for jr := 0; jr < nc; jr += nr {
		nrr := min(nr, nc-jr)
		d := dst[jr*kc : (jr+nr)*kc]
		if kern.packBT != nil {
			kern.packBT(b, ldb, pc, jc+jr, kc, nrr, nr, d)
		} else {
			packBTrans(b, ldb, pc, jc+jr, kc, nrr, nr, d)
		}
	}
}

// packBTrans fills one sliver from the transposed B: d[p*nr+j] =
// b[(j0+j)*ldb+pc+p] for p < kc, j < nrr. It works in 8 x 8 blocks so that
// reads run along rows of B and writes along rows of the sliver, instead of
// striding through one of them a whole sliver at a time.
func packBTrans[T float](b []T, ldb, pc, j0, kc, nrr, nr int, d []T) {
	const blk = 8
	j := 0
	for ; j+blk <= nrr; j += blk {
		r0 := b[(j0+j+0)*ldb+pc:][:kc]
		r1 := b[(j0+j+1)*ldb+pc:][:kc]
		r2 := b[(j0+j+2)*ldb+pc:][:kc]
		r3 := b[(j0+j+3)*ldb+pc:][:kc]
		r4 := b[(j0+j+4)*ldb+pc:][:kc]
		r5 := b[(j0+j+5)*ldb+pc:][:kc]
		r6 := b[(j0+j+6)*ldb+pc:][:kc]
		r7 := b[(j0+j+7)*ldb+pc:][:kc]
		for p := 0; p < kc; p++ {
			dp := d[p*nr+j : p*nr+j+blk]
			dp[0] = r0[p]
			dp[1] = r1[p]
			dp[2] = r2[p]
			dp[3] = r3[p]
			dp[4] = r4[p]
			dp[5] = r5[p]
			dp[6] = r6[p]
			dp[7] = r7[p]
		}
	}
	for ; j < nrr; j++ {
		r := b[(j0+j)*ldb+pc:][:kc]
		for p, v := range r {
			d[p*nr+j] = v
		}
	}
}
