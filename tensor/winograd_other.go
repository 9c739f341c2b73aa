//go:build !amd64 || purego

package tensor

// No vector Winograd transforms in this build: the Go loops run (in tests;
// Conv2d keeps im2col, see useWinograd).

func winoVectorKernels() bool { return false }

func winoInputVec[T float](m int, v []T, vstride int, xp []T, pw int, idx []int32) bool {
	return false
}

func winoOutputVec[T float](m int, y []T, ow int, s []T, mstride int, idx []int32, masks []uint16, bias T) bool {
	return false
}

func winoAdjointVec[T float](m int, dm []T, dstride int, g []T, ow int, idx []int32, masks []uint16) bool {
	return false
}

func winoWeightsVec[T float](m int, flip bool, u []T, offs []int, w []T, wstep int, lanes *[16]int32, groups int) bool {
	return false
}

func winoWeightGradVec[T float](m int, gw, du []T, dstride int, lanes *[16]int32, groups int) bool {
	return false
}
