//go:build !amd64 || purego

package tensor

// sigmoidVec is sigmoidGo where there are no assembly kernels.
func sigmoidVec(dst, src []float32) { sigmoidGo(dst, src) }

// reluVec is reluForward where there are no assembly kernels.
func reluVec(dst, src []float32) { reluForward(dst, src) }

// reluBackVec is reluBackward where there are no assembly kernels.
func reluBackVec(dst, g, y []float32) { reluBackward(dst, g, y) }

// sigmoidBackVec is sigmoidBackward where there are no assembly kernels.
func sigmoidBackVec(dst, g, y []float32) { sigmoidBackward(dst, g, y) }

// addConst adds c to every element of s.
func addConst[T float](s []T, c T) {
	for i := range s {
		s[i] += c
	}
}

func bnNormVec[T float](y, x []T, tm, ta, tb T) { bnNormRow(y, x, tm, ta, tb) }

func bnGradVec[T float](gx, gy, x []T, a, b, d, tm T) { bnGradRow(gx, gy, x, a, b, d, tm) }

func bnRowSumVec[T float](x []T) float64 { return bnRowSum(x) }

func bnRowSqDevVec[T float](x []T, mu float64) float64 { return bnRowSqDev(x, mu) }

func bnRowBackSumsVec[T float](gy, x []T, mu float64) (sg, sgx float64) {
	return bnRowBackSums(gy, x, mu)
}
