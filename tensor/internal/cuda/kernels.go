//go:build cuda

package cuda

import (
	"fmt"
	"math"
	"unsafe"
)

// kernelNames are the extern "C" kernels of kernels.cu that Go launches;
// all are looked up when a module is loaded (a test checks each is defined
// in the source).
var kernelNames = []string{
	"ew_binary", "ew_binary_bcast", "ew_binary_nd", "ew_scalar", "ew_pow_bwd",
	"ew_unary", "ew_unary_bwd", "axpy", "to_double", "from_double", "permute_nd",
	"reduce_sum_partial", "reduce_sum_final", "sum_outer_inner", "sum_axis",
	"softmax_fwd", "softmax_bwd", "ce_fwd", "ce_bwd", "argmax_rows", "count_correct",
	"im2col", "col2im", "conv_out", "conv_gy_t",
	"avgpool_fwd", "avgpool_bwd", "maxpool_fwd", "maxpool_bwd",
	"adaptive_avg_fwd", "adaptive_avg_bwd",
	"bn_stats", "bn_apply", "bn_bwd_reduce", "bn_bwd_apply",
	"sgd_step",
}

const (
	maxKernelArgs = 20
	argSlotBytes  = 128 // the largest by-value struct argument (bcastArg) fits
	blockSize     = 256 // threads per block of elementwise kernels
	reduceThreads = 512 // threads per block of reductions
	reduceBlocks  = 1024
	maxDims       = 6 // of ew_binary_nd and permute_nd
)

// argBuf holds a launch's parameter values and the array of pointers to
// them that cuLaunchKernel reads (void **kernelParams). One per device,
// pinned for the device's life; launches are serialised by Device.mu.
type argBuf struct {
	slots [maxKernelArgs][argSlotBytes / 8]uint64
	ptrs  [maxKernelArgs]uintptr
}

// bcastArg is kernels.cu's struct Bcast (same layout: 19 int32).
type bcastArg struct {
	ndim      int32
	shape, sa [maxDims]int32
	sb        [maxDims]int32
}

// permArg is kernels.cu's struct Perm.
type permArg struct {
	ndim      int32
	shape, in [maxDims]int32
}

// gridFor returns the number of blocks for a grid-stride loop over total
// elements: enough to fill the device, never more than needed.
func (d *Device) gridFor(total, block int) int {
	g := (total + block - 1) / block
	return max(1, min(g, d.SMs*32))
}

// launch runs kernel name of dt's module with a 1-D grid. Arguments may be
// int (passed as C int), int32, float32, float64, *Buffer (its device
// pointer; a nil *Buffer is a null pointer), bcastArg or permArg. Must be
// called between enter and leave.
func (d *Device) launch(dt DType, name string, grid, block int, args ...any) error {
	if dt == I32 {
		dt = F32
	}
	if d.mods[dt] == nil {
		if err := d.loadModule(dt); err != nil {
			return err
		}
	}
	f, ok := d.mods[dt].fns[name]
	if !ok {
		return fmt.Errorf("cuda: internal: no kernel %q", name)
	}
	if len(args) > maxKernelArgs {
		return fmt.Errorf("cuda: internal: %s has %d arguments, at most %d", name, len(args), maxKernelArgs)
	}
	a := d.args
	for i, v := range args {
		s := &a.slots[i]
		switch x := v.(type) {
		case int:
			if x > math.MaxInt32 || x < math.MinInt32 {
				return fmt.Errorf("cuda: %s: argument %d = %d does not fit a C int", name, i, x)
			}
			*(*int32)(unsafe.Pointer(s)) = int32(x)
		case int32:
			*(*int32)(unsafe.Pointer(s)) = x
		case float32:
			*(*float32)(unsafe.Pointer(s)) = x
		case float64:
			*(*float64)(unsafe.Pointer(s)) = x
		case *Buffer:
			var p uintptr
			if x != nil {
				p = x.ptr
			}
			*(*uintptr)(unsafe.Pointer(s)) = p
		case bcastArg:
			*(*bcastArg)(unsafe.Pointer(s)) = x
		case permArg:
			*(*permArg)(unsafe.Pointer(s)) = x
		default:
			return fmt.Errorf("cuda: internal: %s: argument %d has unsupported type %T", name, i, v)
		}
		a.ptrs[i] = uintptr(unsafe.Pointer(s))
	}
	r := cuLaunchKernel(f, uint32(grid), 1, 1, uint32(block), 1, 1, 0, d.stream, unsafe.Pointer(&a.ptrs[0]), nil)
	return cuErr("cuLaunchKernel "+name, r)
}

// scalarArg converts a host scalar to the kernel's element type.
func scalarArg(dt DType, v float64) any {
	if dt == F64 {
		return v
	}
	return float32(v)
}

// PTX returns the PTX of kernels.cu for dt (F32 or F64), compiling it if
// needed; for inspection and tests.
func (d *Device) PTX(dt DType) ([]byte, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	defer d.leave()
	if d.mods[dt] == nil {
		if err := d.loadModule(dt); err != nil {
			return nil, err
		}
	}
	return d.mods[dt].ptx, nil
}
