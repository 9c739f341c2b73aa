package tensor

// ForceWinograd makes every 3 x 3 stride-1 convolution with padding at
// most 2 use Winograd, float64 ones included, until the returned function
// restores the defaults.
func ForceWinograd() (restore func()) {
	minC, anyKind := winoMinChannels, winoAnyKind
	winoMinChannels, winoAnyKind = 1, true
	return func() { winoMinChannels, winoAnyKind = minC, anyKind }
}

// WinogradGoLoops makes the Winograd transforms run their Go loops instead
// of the vector kernels until the returned function restores them.
func WinogradGoLoops() (restore func()) {
	old := winoGoLoops
	winoGoLoops = true
	return func() { winoGoLoops = old }
}

// ForceWinogradTile makes Winograd use F(m x m, 3 x 3) (m = 2 or 4) on
// every layer, until the returned function restores the choice by size.
func ForceWinogradTile(m int) (restore func()) {
	old := winoForceTile
	winoForceTile = m
	return func() { winoForceTile = old }
}

// DisableWinograd makes every convolution use im2col until the returned
// function restores the defaults.
func DisableWinograd() (restore func()) {
	old := winoMinChannels
	winoMinChannels = 1 << 30
	return func() { winoMinChannels = old }
}
