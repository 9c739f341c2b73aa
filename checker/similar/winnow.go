package similar

// kgrams returns the hash of every k-gram of toks (none when there are
// fewer than k tokens): a polynomial rolling hash of the token hashes,
// mixed so that the minimum winnowing picks is spread evenly.
func kgrams(toks []tok, k int) []uint64 {
	if len(toks) < k {
		return nil
	}
	const b = 0x100000001b3 // odd: multiplication by it is invertible mod 2^64
	top := uint64(1)        // b^(k-1)
	for range k - 1 {
		top *= b
	}
	var h uint64
	for _, t := range toks[:k] {
		h = h*b + t.h
	}
	out := make([]uint64, 0, len(toks)-k+1)
	out = append(out, mix(h))
	for i := k; i < len(toks); i++ {
		h = (h-toks[i-k].h*top)*b + toks[i].h
		out = append(out, mix(h))
	}
	return out
}

// mix is splitmix64's finaliser.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// winnow selects fingerprints from the k-gram hashes h (Schleimer,
// Wilkerson and Aiken 2003): in every window of w consecutive hashes the
// minimum, the rightmost one on ties, each position recorded once. Any
// run of at least w+k-1 tokens two streams share yields at least one
// fingerprint in both. A stream shorter than one window gives its
// minimum.
func winnow(h []uint64, w int) []int32 {
	if len(h) == 0 {
		return nil
	}
	if len(h) <= w {
		return []int32{int32(rightmostMin(h, 0, len(h)))}
	}
	var out []int32
	last := -1
	for i := 0; i+w <= len(h); i++ {
		// The previous minimum, while still in the window, is beaten
		// only by the new hash entering it.
		var m int
		if last >= i {
			m = last
			if h[i+w-1] <= h[m] {
				m = i + w - 1
			}
		} else {
			m = rightmostMin(h, i, i+w)
		}
		if m != last {
			out = append(out, int32(m))
			last = m
		}
	}
	return out
}

// rightmostMin is the index of the minimum of h[from:to], the rightmost
// on ties.
func rightmostMin(h []uint64, from, to int) int {
	m := from
	for i := from + 1; i < to; i++ {
		if h[i] <= h[m] {
			m = i
		}
	}
	return m
}
