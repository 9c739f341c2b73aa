package tensor

// Device is where a tensor's data lives and its kernels run. The default
// build knows only CPU; a GPU backend compiled under a build tag provides
// another Device and the tensor operations dispatch on it, so layers and
// models never name a device beyond passing one along.
type Device interface {
	// Name is a short human name such as "cpu" or "cuda:0".
	Name() string
}

type cpuDevice struct{}

func (cpuDevice) Name() string { return "cpu" }

// CPU is the host device, always available.
var CPU Device = cpuDevice{}
