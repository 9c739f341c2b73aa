package gemm

// Transpose32 writes the transpose of the rows x cols matrix src (rows lds
// apart) into dst (rows ldd apart): dst[c*ldd+r] = src[r*lds+c]. It runs
// on the calling goroutine; callers split rows for parallelism (the
// writes of disjoint row ranges of src do not overlap). With AVX-512 the
// full 16 x 16 blocks are transposed in registers.
func Transpose32(dst []float32, ldd int, src []float32, lds int, rows, cols int) {
	if rows <= 0 || cols <= 0 {
		return
	}
	if lds < cols || ldd < rows {
		panic(errInternal)
	}
	_ = src[(rows-1)*lds+cols-1]
	_ = dst[(cols-1)*ldd+rows-1]
	r16, c16 := 0, 0
	if transpose16 != nil {
		r16, c16 = rows/16*16, cols/16*16
		if c16 > 0 {
			for r := 0; r < r16; r += 16 {
				transpose16(dst[r:], ldd, src[r*lds:], lds, c16/16)
			}
		}
	}
	transposeGo(dst, ldd, src, lds, 0, r16, c16, cols)
	transposeGo(dst, ldd, src, lds, r16, rows, 0, cols)
}

// transposeGo transposes rows [r0, r1) x columns [c0, c1) in 32 x 32
// tiles, so that both sides stay in cache.
func transposeGo(dst []float32, ldd int, src []float32, lds int, r0, r1, c0, c1 int) {
	const tile = 32
	for i0 := r0; i0 < r1; i0 += tile {
		for j0 := c0; j0 < c1; j0 += tile {
			for i := i0; i < min(i0+tile, r1); i++ {
				for j, v := range src[i*lds+j0 : i*lds+min(j0+tile, c1)] {
					dst[(j0+j)*ldd+i] = v
				}
			}
		}
	}
}
