package tensor

// Unravel turns a flat row-major index into coordinates of shape, the
// inverse of the offset At and Set compute; messages use it to say which
// element differs.
func Unravel(i int, shape []int) []int {
	idx := make([]int, len(shape))
	for k := len(shape) - 1; k >= 0; k-- {
		if shape[k] > 0 {
			idx[k] = i % shape[k]
			i /= shape[k]
		}
	}
	return idx
}
