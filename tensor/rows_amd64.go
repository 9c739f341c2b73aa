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

//go:noescape
func col2imAccAVX512(dst *float32, ldd int, src *float32, lds int, k, oh, ow int, masks *uint16, segs int)

// col2imPlaneAcc adds, for one channel of col2im with stride 1, the K*K
// rows of col (rows ld apart, starting at col[0]) into the padded plane
// [OH+K-1, wp] (wp = OW+K-1), with the terms of every element in the
// order of col2imStride1's addRows loop, so the same sums. It reports
// false, doing nothing, where there is no vector kernel.
func col2imPlaneAcc[T float](plane, col []T, ld, K, OH, OW int) bool {
	p32, ok := any(plane).([]float32)
	if !ok || !hasAVX512 || OH <= 0 || OW <= 0 || K <= 0 {
		return false
	}
	c32 := any(col).([]float32)
	wp := OW + K - 1
	segs := (wp + 15) / 16
	var buf [64]uint16
	need := segs * (K + 1)
	masks := buf[:0]
	if need > len(buf) {
		masks = make([]uint16, 0, need)
	}
	lanes := func(a, b int) uint16 { // bits [a, b) of a 16-bit mask
		a, b = max(a, 0), min(b, 16)
		if b <= a {
			return 0
		}
		return uint16((1<<b - 1) &^ (1<<a - 1))
	}
	for s := range segs {
		masks = append(masks, lanes(0, wp-16*s))
		for kj := range K {
			masks = append(masks, lanes(kj-16*s, kj+OW-16*s))
		}
	}
	_ = p32[(OH+K-2)*wp+wp-1]
	_ = c32[(K*K-1)*ld+(OH-1)*OW+OW-1]
	for ki := range K {
		col2imAccAVX512(&p32[ki*wp], wp, &c32[ki*K*ld], ld, K, OH, OW, &masks[0], segs)
	}
	return true
}

//go:noescape
func copyEvenAVX512(dst *float32, src *float32, n int)

// copyEven sets dst[i] = src[2*i] for i < len(dst) (the stride-2 rows of
// im2col); src needs 2*len(dst)-1 elements.
func copyEven[T float](dst, src []T) {
	if len(dst) == 0 {
		return
	}
	d, ok := any(dst).([]float32)
	if !ok || !hasAVX512 {
		copyEvenGo(dst, src)
		return
	}
	s := any(src).([]float32)
	_ = s[2*len(d)-2]
	copyEvenAVX512(&d[0], &s[0], len(d))
}

//go:noescape
func maxPool3s2AVX512(y *float32, arg *int32, x *float32, w int, start int, n int) (nan uint16)

// maxPool3s2Vec does n (1 to 16) outputs of a 3 x 3, stride-2 max pooling
// whose windows lie inside the plane xp (see maxPool3s2AVX512; the first
// window starts at xp[start]), returning the lanes whose window holds a
// NaN, which the caller redoes; ok is false where there is no kernel.
func maxPool3s2Vec(yr []float32, ar []int32, xp []float32, w, start, n int) (nan uint16, ok bool) {
	if !hasAVX512 {
		return 0, false
	}
	_ = xp[start+2*w+2*n]
	_, _ = yr[n-1], ar[n-1]
	return maxPool3s2AVX512(&yr[0], &ar[0], &xp[start], w, start, n), true
}

//go:noescape
func avgPool2AVX512(y *float32, x *float32, w, oh, ow int, inv float32)

//go:noescape
func avgPool2BackAVX512(gx *float32, gy *float32, w, oh, ow int, inv float32)

// avgPool2Plane does the 2 x 2, stride-2 average pooling of one plane x
// (rows w apart) into y [oh, ow] with the Go loop's sums (the same bits),
// or, with back set, writes the gradient gy*inv of y (in y) to the
// windows' elements of x. It reports false, doing nothing, where there is
// no vector kernel.
func avgPool2Plane[T float](y, x []T, w, oh, ow int, inv T, back bool) bool {
	y32, ok := any(y).([]float32)
	if !ok || !hasAVX512 || oh <= 0 || ow <= 0 {
		return false
	}
	x32 := any(x).([]float32)
	_ = y32[oh*ow-1]
	_ = x32[(2*oh-1)*w+2*ow-1]
	if back {
		avgPool2BackAVX512(&x32[0], &y32[0], w, oh, ow, float32(inv))
	} else {
		avgPool2AVX512(&y32[0], &x32[0], w, oh, ow, float32(inv))
	}
	return true
}

//go:noescape
func sumLanes8x4AVX(s *float32, stride, nblk int, out *[32]float32)

// sumPlanes adds sumLanes8 of each of the planes of hw elements of g (one
// after the other) to dst[i]: the same sums, with four planes' chains
// interleaved where AVX can do it.
func sumPlanes[T float](dst, g []T, hw int) {
	g32, ok := any(g).([]float32)
	q := 0
	if ok && hasAVX2 && hw >= 8 {
		d32 := any(dst).([]float32)
		var out [32]float32
		for ; q+4 <= len(dst); q += 4 {
			p := g32[q*hw : (q+4)*hw]
			sumLanes8x4AVX(&p[0], hw, hw/8, &out)
			for k := range 4 {
				a := out[8*k : 8*k+8]
				t := ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7]))
				for _, v := range p[k*hw+hw&^7 : (k+1)*hw] {
					t += v
				}
				d32[q+k] += t
			}
		}
	}
	for ; q < len(dst); q++ {
		dst[q] += sumLanes8(g[q*hw : (q+1)*hw])
	}
}
