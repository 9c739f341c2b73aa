//go:build !cuda

package cuda

import "errors"

// ErrNotBuilt is what Open returns in a build without the cuda tag.
var ErrNotBuilt = errors.New("cuda: not built with -tags cuda")

// Device is the GPU; in a build without the cuda tag there is none.
type Device struct{}

// Open reports that the GPU backend is not compiled in.
func Open() (*Device, error) { return nil, ErrNotBuilt }

// Available reports whether a GPU can be used and, if not, why.
func Available() (bool, string) { return false, ErrNotBuilt.Error() }

// Name is the device's short name.
func (*Device) Name() string { return "cuda" }
