//go:build !amd64 || purego

package tensor

// copyRows copies a rows x width block: dst[r*ldd+i] = src[r*lds+i].
func copyRows[T float](dst []T, ldd int, src []T, lds int, rows, width int) {
	copyRowsGo(dst, ldd, src, lds, rows, width)
}

// addRows adds a rows x width block: dst[r*ldd+i] += src[r*lds+i].
func addRows[T float](dst []T, ldd int, src []T, lds int, rows, width int) {
	addRowsGo(dst, ldd, src, lds, rows, width)
}

// col2imPlaneAcc: no vector kernel in this build.
func col2imPlaneAcc[T float](plane, col []T, ld, K, OH, OW int) bool { return false }

// copyEven sets dst[i] = src[2*i] for i < len(dst).
func copyEven[T float](dst, src []T) { copyEvenGo(dst, src) }

// maxPool3s2Vec: no vector kernel in this build.
func maxPool3s2Vec(yr []float32, ar []int32, xp []float32, w, start, n int) (nan uint16, ok bool) {
	return 0, false
}

// avgPool2Plane: no vector kernel in this build.
func avgPool2Plane[T float](y, x []T, w, oh, ow int, inv T, back bool) bool { return false }

// sumPlanes adds sumLanes8 of each of the planes of hw elements of g (one
// after the other) to dst[i].
func sumPlanes[T float](dst, g []T, hw int) {
	for q := range dst {
		dst[q] += sumLanes8(g[q*hw : (q+1)*hw])
	}
}
