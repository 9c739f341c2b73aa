//go:build amd64 && !purego

package tensor

// copyRowsAVX512 and addRowsAVX512 are copyRowsGo and addRowsGo for
// float32 on 16 lanes, the last block of a row masked (rows_amd64.s).
//
//go:noescape
func copyRowsAVX512(dst *float32, ldd int, src *float32, lds int, rows, width int)

//go:noescape
func addRowsAVX512(dst *float32, ldd int, src *float32, lds int, rows, width int)

// copyRows copies a rows x width block: dst[r*ldd+i] = src[r*lds+i].
func copyRows[T float](dst []T, ldd int, src []T, lds int, rows, width int) {
	if rows <= 0 || width <= 0 {
		return
	}
	d, s := any(dst).([]float32)
	if !s || !hasAVX512 {
		copyRowsGo(dst, ldd, src, lds, rows, width)
		return
	}
	sr := any(src).([]float32)
	_ = d[(rows-1)*ldd+width-1]
	_ = sr[(rows-1)*lds+width-1]
	copyRowsAVX512(&d[0], ldd, &sr[0], lds, rows, width)
}

// addRows adds a rows x width block: dst[r*ldd+i] += src[r*lds+i].
func addRows[T float](dst []T, ldd int, src []T, lds int, rows, width int) {
	if rows <= 0 || width <= 0 {
		return
	}
	d, s := any(dst).([]float32)
	if !s || !hasAVX512 {
		addRowsGo(dst, ldd, src, lds, rows, width)
		return
	}
	sr := any(src).([]float32)
	_ = d[(rows-1)*ldd+width-1]
	_ = sr[(rows-1)*lds+width-1]
	addRowsAVX512(&d[0], ldd, &sr[0], lds, rows, width)
}
