//go:build amd64 && !purego

package tensor

// The AVX-512 Winograd transforms (winograd_amd64.s): each processes whole
// groups of 16 tiles or kernels with the Go loops' operations in the same
// order, so the same bits. The wrappers report false, doing nothing, for
// float64 or without AVX-512; strides are in elements.

//go:noescape
func winoInputAVX512(v *float32, vstride int, xp *float32, pw int, idx *int32, groups int)

//go:noescape
func winoOutputAVX512(y *float32, ow int, m *float32, mstride int, idx *int32, masks *uint16, groups int, bias float32)

//go:noescape
func winoAdjointAVX512(dm *float32, dstride int, gy *float32, ow int, idx *int32, masks *uint16, groups int)

//go:noescape
func winoWeightsAVX512(u *float32, offs *[16]int, w *float32, wstep int, lanes *[16]int32, groups int)

//go:noescape
func winoWeightGradAVX512(gw *float32, du *float32, dstride int, lanes *[16]int32, groups int)

func winoInputVec[T float](v []T, vstride int, xp []T, pw int, idx []int32) bool {
	v32, ok := any(v).([]float32)
	if !ok || !hasAVX512 || winoGoLoops {
		return false
	}
	x32 := any(xp).([]float32)
	winoInputAVX512(&v32[0], 4*vstride, &x32[0], pw, &idx[0], len(idx)/16)
	return true
}

func winoOutputVec[T float](y []T, ow int, m []T, mstride int, idx []int32, masks []uint16, bias T) bool {
	y32, ok := any(y).([]float32)
	if !ok || !hasAVX512 || winoGoLoops {
		return false
	}
	m32 := any(m).([]float32)
	winoOutputAVX512(&y32[0], ow, &m32[0], 4*mstride, &idx[0], &masks[0], len(idx)/16, float32(bias))
	return true
}

func winoAdjointVec[T float](dm []T, dstride int, g []T, ow int, idx []int32, masks []uint16) bool {
	d32, ok := any(dm).([]float32)
	if !ok || !hasAVX512 || winoGoLoops {
		return false
	}
	g32 := any(g).([]float32)
	winoAdjointAVX512(&d32[0], 4*dstride, &g32[0], ow, &idx[0], &masks[0], len(idx)/16)
	return true
}

// winoWeightsVec transforms groups*16 kernels, kernel j of them at
// w[j/16*wstep/... ]: group g's kernel l at w[g*wstep + lanes[l]] (wstep
// in elements), writing U at u[ξ-offset + 16*g + l].
func winoWeightsVec[T float](u []T, offs *[16]int, w []T, wstep int, lanes *[16]int32, groups int) bool {
	u32, ok := any(u).([]float32)
	if !ok || !hasAVX512 || winoGoLoops {
		return false
	}
	w32 := any(w).([]float32)
	winoWeightsAVX512(&u32[0], offs, &w32[0], 4*wstep, lanes, groups)
	return true
}

func winoWeightGradVec[T float](gw, du []T, dstride int, lanes *[16]int32, groups int) bool {
	g32, ok := any(gw).([]float32)
	if !ok || !hasAVX512 || winoGoLoops {
		return false
	}
	d32 := any(du).([]float32)
	winoWeightGradAVX512(&g32[0], &d32[0], 4*dstride, lanes, groups)
	return true
}
