//go:build !amd64 || purego

package tensor

// sigmoidVec is sigmoidGo where there are no assembly kernels.
func sigmoidVec(dst, src []float32) { sigmoidGo(dst, src) }
