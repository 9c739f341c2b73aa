//go:build cuda

package cuda

import (
	"fmt"
	"unsafe"

	"github.com/ebitengine/purego"
)

// cuResult is the driver API's CUresult.
type cuResult int32

const cudaSuccess cuResult = 0

// Driver API attributes used here (CUdevice_attribute).
const (
	attrMaxThreadsPerBlock     = 1
	attrMultiprocessorCount    = 16
	attrComputeCapabilityMajor = 75
	attrComputeCapabilityMinor = 76
)

// Driver API entry points, bound by bindDriver. Names with a _v2 symbol are
// bound to it (the unsuffixed symbols are the CUDA 3.x ABI).
var (
	cuInit                    func(flags uint32) cuResult
	cuDriverGetVersion        func(v *int32) cuResult
	cuDeviceGetCount          func(n *int32) cuResult
	cuDeviceGet               func(dev *int32, ordinal int32) cuResult
	cuDeviceGetName           func(name *byte, n int32, dev int32) cuResult
	cuDeviceTotalMem          func(bytes *uint64, dev int32) cuResult
	cuDeviceGetAttribute      func(v *int32, attr int32, dev int32) cuResult
	cuDevicePrimaryCtxRetain  func(ctx *uintptr, dev int32) cuResult
	cuDevicePrimaryCtxRelease func(dev int32) cuResult
	cuCtxSetCurrent           func(ctx uintptr) cuResult
	cuCtxSynchronize          func() cuResult
	cuMemAlloc                func(dptr *uintptr, bytes uint64) cuResult
	cuMemFree                 func(dptr uintptr) cuResult
	cuMemGetInfo              func(free, total *uint64) cuResult
	cuMemcpyHtoDAsync         func(dst uintptr, src unsafe.Pointer, bytes uint64, stream uintptr) cuResult
	cuMemcpyDtoHAsync         func(dst unsafe.Pointer, src uintptr, bytes uint64, stream uintptr) cuResult
	cuMemcpyDtoDAsync         func(dst, src uintptr, bytes uint64, stream uintptr) cuResult
	cuMemsetD8Async           func(dst uintptr, v uint8, n uint64, stream uintptr) cuResult
	cuStreamCreate            func(s *uintptr, flags uint32) cuResult
	cuStreamDestroy           func(s uintptr) cuResult
	cuStreamSynchronize       func(s uintptr) cuResult
	cuModuleLoadData          func(m *uintptr, image unsafe.Pointer) cuResult
	cuModuleUnload            func(m uintptr) cuResult
	cuModuleGetFunction       func(f *uintptr, m uintptr, name string) cuResult
	cuLaunchKernel            func(f uintptr, gx, gy, gz, bx, by, bz, shmem uint32, stream uintptr, params unsafe.Pointer, extra unsafe.Pointer) cuResult
	cuGetErrorName            func(r cuResult, s **byte) cuResult
	cuGetErrorString          func(r cuResult, s **byte) cuResult
)

// binding pairs a function variable with its symbol.
type binding struct {
	fn  any
	sym string
}

func driverBindings() []binding {
	return []binding{
		{&cuInit, "cuInit"},
		{&cuDriverGetVersion, "cuDriverGetVersion"},
		{&cuDeviceGetCount, "cuDeviceGetCount"},
		{&cuDeviceGet, "cuDeviceGet"},
		{&cuDeviceGetName, "cuDeviceGetName"},
		{&cuDeviceTotalMem, "cuDeviceTotalMem_v2"},
		{&cuDeviceGetAttribute, "cuDeviceGetAttribute"},
		{&cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain"},
		{&cuDevicePrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2"},
		{&cuCtxSetCurrent, "cuCtxSetCurrent"},
		{&cuCtxSynchronize, "cuCtxSynchronize"},
		{&cuMemAlloc, "cuMemAlloc_v2"},
		{&cuMemFree, "cuMemFree_v2"},
		{&cuMemGetInfo, "cuMemGetInfo_v2"},
		{&cuMemcpyHtoDAsync, "cuMemcpyHtoDAsync_v2"},
		{&cuMemcpyDtoHAsync, "cuMemcpyDtoHAsync_v2"},
		{&cuMemcpyDtoDAsync, "cuMemcpyDtoDAsync_v2"},
		{&cuMemsetD8Async, "cuMemsetD8Async"},
		{&cuStreamCreate, "cuStreamCreate"},
		{&cuStreamDestroy, "cuStreamDestroy_v2"},
		{&cuStreamSynchronize, "cuStreamSynchronize"},
		{&cuModuleLoadData, "cuModuleLoadData"},
		{&cuModuleUnload, "cuModuleUnload"},
		{&cuModuleGetFunction, "cuModuleGetFunction"},
		{&cuLaunchKernel, "cuLaunchKernel"},
		{&cuGetErrorName, "cuGetErrorName"},
		{&cuGetErrorString, "cuGetErrorString"},
	}
}

// bind resolves every symbol of bs in the library handle h; a missing one
// is an error naming it and the library (an old driver, a wrong file).
func bind(h uintptr, lib string, bs []binding) error {
	for _, b := range bs {
		p, err := purego.Dlsym(h, b.sym)
		if err != nil || p == 0 {
			return fmt.Errorf("symbol %s not found in %s (library too old?)", b.sym, lib)
		}
		purego.RegisterFunc(b.fn, p)
	}
	return nil
}

// cString reads a NUL-terminated C string (owned by C; copied).
func cString(p *byte) string {
	if p == nil {
		return ""
	}
	n := 0
	for *(*byte)(unsafe.Add(unsafe.Pointer(p), n)) != 0 {
		n++
	}
	return string(unsafe.Slice(p, n))
}

// errorName returns the CUresult's name, such as CUDA_ERROR_NO_DEVICE.
func errorName(r cuResult) string {
	if cuGetErrorName != nil {
		var p *byte
		if cuGetErrorName(r, &p) == cudaSuccess && p != nil {
			return cString(p)
		}
	}
	return fmt.Sprintf("CUresult(%d)", int32(r))
}

// cuErr turns a failed call into an error "what failed: CUDA_ERROR_X
// (description)"; nil on success.
func cuErr(what string, r cuResult) error {
	if r == cudaSuccess {
		return nil
	}
	msg := what + " failed: " + errorName(r)
	if cuGetErrorString != nil {
		var p *byte
		if cuGetErrorString(r, &p) == cudaSuccess && p != nil {
			msg += " (" + cString(p) + ")"
		}
	}
	return &Error{Op: what, Code: int(r), Msg: msg}
}

// Error is a failed CUDA, cuBLAS or NVRTC call.
type Error struct {
	Op   string // the call, e.g. "cuMemAlloc"
	Code int    // its status code
	Msg  string // one line
}

func (e *Error) Error() string { return e.Msg }

// CUDA_ERROR_UNSUPPORTED_PTX_VERSION: PTX from an NVRTC newer than the
// driver.
const errUnsupportedPTXVersion cuResult = 222
