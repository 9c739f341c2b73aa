package tensor

// Block copies between matrices with different row strides, the inner
// loops of im2col and col2im for stride-1 convolutions. rows_amd64.s
// has AVX-512 versions (float32); these are the reference loops.

// copyRowsGo sets dst[r*ldd+i] = src[r*lds+i] for r < rows, i < width.
func copyRowsGo[T float](dst []T, ldd int, src []T, lds int, rows, width int) {
	for r := range rows {
		copy(dst[r*ldd:r*ldd+width], src[r*lds:r*lds+width])
	}
}

// addRowsGo adds src[r*lds+i] into dst[r*ldd+i] for r < rows, i < width.
func addRowsGo[T float](dst []T, ldd int, src []T, lds int, rows, width int) {
	for r := range rows {
		d, s := dst[r*ldd:r*ldd+width], src[r*lds:r*lds+width]
		for i, v := range s {
			d[i] += v
		}
	}
}

// copyEvenGo sets dst[i] = src[2*i] for i < len(dst).
func copyEvenGo[T float](dst, src []T) {
	for i := range dst {
		dst[i] = src[2*i]
	}
}
