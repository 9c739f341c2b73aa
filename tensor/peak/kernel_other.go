//go:build !amd64

package peak

var hasAVX512 = false

func kernel() (fn func(int), isa string, flopsPerIter float64) { return nil, "", 0 }

func kernels() []func(int) { return nil }

// CPUName is "" here: no CPUID.
func CPUName() string { return "" }
