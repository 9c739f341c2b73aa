//go:build cuda

package cuda

import (
	_ "embed"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"unsafe"
)

//go:embed kernels.cu
var kernelSource string

// DType is a buffer's element type.
type DType int

const (
	F32 DType = iota // float32 (C float)
	F64              // float64 (C double)
	I32              // int32 (labels, argmax indices)
)

// Size is the element size in bytes.
func (t DType) Size() int {
	if t == F64 {
		return 8
	}
	return 4
}

func (t DType) String() string {
	switch t {
	case F32:
		return "float32"
	case F64:
		return "float64"
	case I32:
		return "int32"
	}
	return "DType(" + strconv.Itoa(int(t)) + ")"
}

// Buffer is a block of device memory holding Len elements of DType. It
// comes from Device.Alloc and goes back with Device.Free (to the pool, not
// to the driver).
type Buffer struct {
	ptr   uintptr
	n     int
	dt    DType
	class uint64 // pool size class; 0 for a view
}

// Len is the number of elements.
func (b *Buffer) Len() int { return b.n }

// DType is the element type.
func (b *Buffer) DType() DType { return b.dt }

// Ptr is the device address (CUdeviceptr).
func (b *Buffer) Ptr() uintptr { return b.ptr }

// Bytes is Len times the element size.
func (b *Buffer) Bytes() int { return b.n * b.dt.Size() }

// View returns the elements [off, off+n) of b without copying; a view is
// never freed itself.
func (b *Buffer) View(off, n int) *Buffer {
	if off < 0 || n < 0 || off+n > b.n {
		panic(fmt.Sprintf("cuda: View [%d, %d) of a buffer of %d elements", off, off+n, b.n))
	}
	return &Buffer{ptr: b.ptr + uintptr(off*b.dt.Size()), n: n, dt: b.dt}
}

// Device is one GPU with its context, stream, cuBLAS handle, compiled
// kernels and memory pool. Its methods may be called from any goroutine;
// they are serialised.
type Device struct {
	Ordinal     int
	DeviceName  string // e.g. "NVIDIA H200"
	CC          int    // compute capability, 10*major+minor (90 for H200)
	SMs         int
	TotalMem    uint64
	DriverVer   int    // e.g. 12040
	CublasVer   int    // e.g. 120400
	NVRTCVer    string // e.g. "12.4"
	Arch        int    // the compute_XY the kernels were compiled for
	Libraries   []string
	TF32        bool // cuBLAS may use TF32 tensor cores for float32 (NNKIT_CUDA_TF32=1)
	MaxThreads  int
	ColBudget   int // bytes of im2col buffer per convolution chunk
	nvrtcs      []*nvrtc
	nvrtcChosen int

	mu     sync.Mutex
	ctx    uintptr
	stream uintptr
	blas   uintptr
	mods   [2]*module // F32, F64; F64 compiled on first use
	pool   *pool
	args   *argBuf
	pinner runtime.Pinner
	sums   *Buffer // scratch for reduction partials (F64)
}

// module is kernels.cu compiled for one element type.
type module struct {
	handle uintptr
	fns    map[string]uintptr
	ptx    []byte
}

var (
	openMu  sync.Mutex
	opened  bool // Open has run open() (openDev or openErr is its result)
	openDev *Device
	openErr error
)

// Open returns the process's GPU, initialising it on the first call (the
// result, or the error, is cached). The device is NNKIT_CUDA_DEVICE (an
// ordinal, default 0). The error is one line saying what was missing.
func Open() (*Device, error) {
	openMu.Lock()
	defer openMu.Unlock()
	if !opened {
		openDev, openErr = open()
		opened = true
	}
	return openDev, openErr
}

// Probe is Open without caching a failure: it returns the open device if
// there is one, else tries to open it now, and only a success is kept for
// later calls of Open. Tests use it to choose between a real GPU and the
// CPU emulator (they point NNKIT_CUDA_PATH at the emulator after a failed
// Probe, then Open).
func Probe() (*Device, error) {
	openMu.Lock()
	defer openMu.Unlock()
	if openDev != nil {
		return openDev, nil
	}
	d, err := open()
	if err != nil {
		return nil, err
	}
	openDev, openErr, opened = d, nil, true
	return d, nil
}

// KernelSource is the CUDA C source of the kernels (kernels.cu), as NVRTC
// compiles it; the CPU emulator (package cudaemu) builds it as C++.
func KernelSource() string { return kernelSource }

// Available reports whether a GPU can be used and, if not, why.
func Available() (bool, string) {
	if _, err := Open(); err != nil {
		return false, err.Error()
	}
	return true, ""
}

// Name is "cuda:<ordinal>".
func (d *Device) Name() string { return "cuda:" + strconv.Itoa(d.Ordinal) }

// String describes the device in one line.
func (d *Device) String() string {
	return fmt.Sprintf("%s: %s, compute %d.%d, %d SMs, %.1f GiB, driver %d.%d, NVRTC %s (compute_%d), cuBLAS %d, TF32 %v",
		d.Name(), d.DeviceName, d.CC/10, d.CC%10, d.SMs, float64(d.TotalMem)/(1<<30),
		d.DriverVer/1000, d.DriverVer%1000/10, d.NVRTCVer, d.Arch, d.CublasVer, d.TF32)
}

func open() (*Device, error) {
	if runtime.GOOS != "linux" {
		return nil, fmt.Errorf("cuda: only linux is supported, this is %s", runtime.GOOS)
	}
	dirs := searchDirs(os.Getenv, "")
	d := &Device{ColBudget: 256 << 20}

	h, path, err := openLib(specDriver, dirs)
	if err != nil {
		return nil, err
	}
	if err := bind(h, path, driverBindings()); err != nil {
		return nil, err
	}
	d.Libraries = append(d.Libraries, path)
	if err := cuErr("cuInit", cuInit(0)); err != nil {
		if e := (*Error)(nil); errors.As(err, &e) && e.Code == 100 { // CUDA_ERROR_NO_DEVICE
			return nil, errors.New("no CUDA device (cuInit: CUDA_ERROR_NO_DEVICE)")
		}
		return nil, err
	}
	var ver, count int32
	cuDriverGetVersion(&ver)
	d.DriverVer = int(ver)
	if err := cuErr("cuDeviceGetCount", cuDeviceGetCount(&count)); err != nil {
		return nil, err
	}
	if count == 0 {
		return nil, errors.New("no CUDA device")
	}
	if s := os.Getenv("NNKIT_CUDA_DEVICE"); s != "" {
		o, err := strconv.Atoi(s)
		if err != nil || o < 0 || o >= int(count) {
			return nil, fmt.Errorf("NNKIT_CUDA_DEVICE=%q: want an ordinal in [0, %d)", s, count)
		}
		d.Ordinal = o
	}
	var dev int32
	if err := cuErr("cuDeviceGet", cuDeviceGet(&dev, int32(d.Ordinal))); err != nil {
		return nil, err
	}
	name := make([]byte, 256)
	cuDeviceGetName(&name[0], int32(len(name)), dev)
	d.DeviceName = strings.TrimRight(string(name[:max(0, strings.IndexByte(string(name), 0))]), " ")
	cuDeviceTotalMem(&d.TotalMem, dev)
	attr := func(a int32) int {
		var v int32
		cuDeviceGetAttribute(&v, a, dev)
		return int(v)
	}
	d.CC = 10*attr(attrComputeCapabilityMajor) + attr(attrComputeCapabilityMinor)
	d.SMs = max(1, attr(attrMultiprocessorCount))
	d.MaxThreads = attr(attrMaxThreadsPerBlock)
	if d.CC < 60 {
		return nil, fmt.Errorf("CUDA device %s has compute capability %d.%d; nnkit needs 6.0 or newer", d.DeviceName, d.CC/10, d.CC%10)
	}
	if err := cuErr("cuDevicePrimaryCtxRetain", cuDevicePrimaryCtxRetain(&d.ctx, dev)); err != nil {
		return nil, err
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := cuErr("cuCtxSetCurrent", cuCtxSetCurrent(d.ctx)); err != nil {
		return nil, err
	}
	if err := cuErr("cuStreamCreate", cuStreamCreate(&d.stream, 0)); err != nil {
		return nil, err
	}

	// cuBLAS.
	hb, pb, err := openLib(specCublas, dirs)
	if err != nil {
		return nil, err
	}
	if err := bind(hb, pb, cublasBindings()); err != nil {
		return nil, err
	}
	d.Libraries = append(d.Libraries, pb)
	if err := cublasErr("cublasCreate", cublasCreate(&d.blas)); err != nil {
		return nil, err
	}
	if err := cublasErr("cublasSetStream", cublasSetStream(d.blas, d.stream)); err != nil {
		return nil, err
	}
	var bv int32
	cublasGetVersion(d.blas, &bv)
	d.CublasVer = int(bv)
	if os.Getenv("NNKIT_CUDA_TF32") == "1" {
		d.TF32 = cublasSetMath(d.blas, cublasTF32TensorMath) == 0
	}

	// NVRTC: every loadable version, newest first.
	hs, ps, err := openLibs(specNVRTC, dirs)
	if err != nil {
		return nil, err
	}
	for i, h := range hs {
		n, err := loadNVRTC(h, ps[i])
		if err != nil {
			continue
		}
		d.nvrtcs = append(d.nvrtcs, n)
	}
	if len(d.nvrtcs) == 0 {
		return nil, fmt.Errorf("library libnvrtc: no usable NVRTC among %s", strings.Join(ps, ", "))
	}

	d.pool = newPool(driverMem{}, func() error { return cuErr("cuStreamSynchronize", cuStreamSynchronize(d.stream)) })
	d.args = new(argBuf)
	d.pinner.Pin(d.args)
	if err := d.loadModule(F32); err != nil {
		return nil, err
	}
	d.Libraries = append(d.Libraries, d.nvrtcs[d.nvrtcChosen].path)
	d.NVRTCVer = d.nvrtcs[d.nvrtcChosen].Version()
	d.sums, err = d.allocLocked(F64, reduceBlocks)
	if err != nil {
		return nil, err
	}
	return d, nil
}

// driverMem is the pool's backend on a real device.
type driverMem struct{}

func (driverMem) malloc(bytes uint64) (uintptr, error) {
	var p uintptr
	r := cuMemAlloc(&p, bytes)
	if r == 2 { // CUDA_ERROR_OUT_OF_MEMORY
		return 0, errOutOfMemory
	}
	return p, cuErr("cuMemAlloc", r)
}

func (driverMem) free(p uintptr) error { return cuErr("cuMemFree", cuMemFree(p)) }

// loadModule compiles kernels.cu for dt with the chosen NVRTC (trying older
// ones when the driver rejects the PTX as too new) and loads it.
func (d *Device) loadModule(dt DType) error {
	elem := "float"
	if dt == F64 {
		elem = "double"
	}
	var errs []string
	for i := d.nvrtcChosen; i < len(d.nvrtcs); i++ {
		nv := d.nvrtcs[i]
		arch := d.CC
		if nv.supportedKnown {
			arch = pickArch(d.CC, nv.supported)
		}
		ptx, err := nv.compile(kernelSource, "kernels.cu", compileOptions(arch, elem))
		if err != nil {
			return err // the source does not compile: no other NVRTC will help
		}
		var m uintptr
		r := cuModuleLoadData(&m, unsafe.Pointer(&ptx[0]))
		runtime.KeepAlive(ptx)
		if r == errUnsupportedPTXVersion {
			errs = append(errs, fmt.Sprintf("NVRTC %s (%s) makes PTX newer than driver %d.%d accepts", nv.Version(), nv.path, d.DriverVer/1000, d.DriverVer%1000/10))
			continue
		}
		if err := cuErr("cuModuleLoadData", r); err != nil {
			return err
		}
		mod := &module{handle: m, fns: map[string]uintptr{}, ptx: ptx}
		for _, k := range kernelNames {
			var f uintptr
			if err := cuErr("cuModuleGetFunction "+k, cuModuleGetFunction(&f, m, k)); err != nil {
				return err
			}
			mod.fns[k] = f
		}
		d.mods[dt] = mod
		d.nvrtcChosen, d.Arch = i, arch
		return nil
	}
	return fmt.Errorf("no NVRTC produces PTX this driver loads: %s (install an NVRTC matching the driver, or put its folder first in %s)", strings.Join(errs, "; "), EnvPath)
}

// enter makes the device's context current on this goroutine's thread and
// serialises callers; leave undoes it. Every exported method that talks to
// the driver runs between the two.
func (d *Device) enter() error {
	runtime.LockOSThread()
	d.mu.Lock()
	if r := cuCtxSetCurrent(d.ctx); r != cudaSuccess {
		d.leave()
		return cuErr("cuCtxSetCurrent", r)
	}
	return nil
}

func (d *Device) leave() {
	d.mu.Unlock()
	runtime.UnlockOSThread()
}

// Alloc returns an uninitialised buffer of n elements.
func (d *Device) Alloc(dt DType, n int) (*Buffer, error) {
	if n < 0 || n > math.MaxInt32 {
		return nil, fmt.Errorf("cuda: Alloc of %d elements: want 0..%d", n, math.MaxInt32)
	}
	if err := d.enter(); err != nil {
		return nil, err
	}
	defer d.leave()
	return d.allocLocked(dt, n)
}

func (d *Device) allocLocked(dt DType, n int) (*Buffer, error) {
	ptr, class, err := d.pool.get(uint64(n * dt.Size()))
	if err != nil {
		return nil, fmt.Errorf("cuda: %w", err)
	}
	return &Buffer{ptr: ptr, n: n, dt: dt, class: class}, nil
}

// Free returns b to the pool; b must not be used afterwards. Views and nil
// are ignored.
func (d *Device) Free(b *Buffer) {
	if b == nil || b.class == 0 {
		return
	}
	d.pool.put(b.ptr, b.class)
	b.ptr, b.class = 0, 0
}

// PoolStats reports the allocator's use.
func (d *Device) PoolStats() PoolStats { return d.pool.stats() }

// ReleaseCache gives the pool's cached blocks back to the driver.
func (d *Device) ReleaseCache() error {
	if err := d.enter(); err != nil {
		return err
	}
	defer d.leave()
	return d.pool.release()
}

// MemInfo returns the device's free and total memory in bytes.
func (d *Device) MemInfo() (free, total uint64, err error) {
	if err := d.enter(); err != nil {
		return 0, 0, err
	}
	defer d.leave()
	err = cuErr("cuMemGetInfo", cuMemGetInfo(&free, &total))
	return free, total, err
}

// Synchronize waits for all queued work and reports the first asynchronous
// error (a kernel fault) if any.
func (d *Device) Synchronize() error {
	if err := d.enter(); err != nil {
		return err
	}
	defer d.leave()
	return cuErr("cuStreamSynchronize", cuStreamSynchronize(d.stream))
}

func (d *Device) upload(b *Buffer, src unsafe.Pointer, n int, dt DType) error {
	if b.dt != dt || b.n != n {
		return fmt.Errorf("cuda: upload of %d %v into a buffer of %d %v", n, dt, b.n, b.dt)
	}
	if n == 0 {
		return nil
	}
	if err := d.enter(); err != nil {
		return err
	}
	defer d.leave()
	// From pageable memory the call returns once the source has been
	// staged, so the Go slice may be reused afterwards.
	return cuErr("cuMemcpyHtoDAsync", cuMemcpyHtoDAsync(b.ptr, src, uint64(b.Bytes()), d.stream))
}

func (d *Device) download(dst unsafe.Pointer, b *Buffer, n int, dt DType) error {
	if b.dt != dt || b.n != n {
		return fmt.Errorf("cuda: download of a buffer of %d %v into %d %v", b.n, b.dt, n, dt)
	}
	if n == 0 {
		return nil
	}
	if err := d.enter(); err != nil {
		return err
	}
	defer d.leave()
	if err := cuErr("cuMemcpyDtoHAsync", cuMemcpyDtoHAsync(dst, b.ptr, uint64(b.Bytes()), d.stream)); err != nil {
		return err
	}
	return cuErr("cuStreamSynchronize", cuStreamSynchronize(d.stream))
}

// Upload32 copies src into b (F32, same length).
func (d *Device) Upload32(b *Buffer, src []float32) error {
	return d.upload(b, unsafe.Pointer(unsafe.SliceData(src)), len(src), F32)
}

// Upload64 copies src into b (F64, same length).
func (d *Device) Upload64(b *Buffer, src []float64) error {
	return d.upload(b, unsafe.Pointer(unsafe.SliceData(src)), len(src), F64)
}

// UploadInt32 copies src into b (I32, same length).
func (d *Device) UploadInt32(b *Buffer, src []int32) error {
	return d.upload(b, unsafe.Pointer(unsafe.SliceData(src)), len(src), I32)
}

// Download32 copies b (F32) into dst, waiting for queued work first.
func (d *Device) Download32(dst []float32, b *Buffer) error {
	return d.download(unsafe.Pointer(unsafe.SliceData(dst)), b, len(dst), F32)
}

// Download64 copies b (F64) into dst.
func (d *Device) Download64(dst []float64, b *Buffer) error {
	return d.download(unsafe.Pointer(unsafe.SliceData(dst)), b, len(dst), F64)
}

// DownloadInt32 copies b (I32) into dst.
func (d *Device) DownloadInt32(dst []int32, b *Buffer) error {
	return d.download(unsafe.Pointer(unsafe.SliceData(dst)), b, len(dst), I32)
}

// FromFloat32 allocates a buffer holding a copy of src.
func (d *Device) FromFloat32(src []float32) (*Buffer, error) {
	b, err := d.Alloc(F32, len(src))
	if err == nil {
		err = d.Upload32(b, src)
	}
	return b, err
}

// FromFloat64 allocates a buffer holding a copy of src.
func (d *Device) FromFloat64(src []float64) (*Buffer, error) {
	b, err := d.Alloc(F64, len(src))
	if err == nil {
		err = d.Upload64(b, src)
	}
	return b, err
}

// FromInt32 allocates a buffer holding a copy of src.
func (d *Device) FromInt32(src []int32) (*Buffer, error) {
	b, err := d.Alloc(I32, len(src))
	if err == nil {
		err = d.UploadInt32(b, src)
	}
	return b, err
}

// Scalar reads element 0 of b as float64 (waits for queued work): how a
// loss or a count reaches the host.
func (d *Device) Scalar(b *Buffer) (float64, error) {
	one := b.View(0, 1)
	switch b.dt {
	case F32:
		v := make([]float32, 1)
		err := d.Download32(v, one)
		return float64(v[0]), err
	case F64:
		v := make([]float64, 1)
		err := d.Download64(v, one)
		return v[0], err
	default:
		v := make([]int32, 1)
		err := d.DownloadInt32(v, one)
		return float64(v[0]), err
	}
}

// Copy copies src into dst (same type and length) on the device.
func (d *Device) Copy(dst, src *Buffer) error {
	if dst.dt != src.dt || dst.n != src.n {
		return fmt.Errorf("cuda: Copy of %d %v into %d %v", src.n, src.dt, dst.n, dst.dt)
	}
	if err := d.enter(); err != nil {
		return err
	}
	defer d.leave()
	return cuErr("cuMemcpyDtoDAsync", cuMemcpyDtoDAsync(dst.ptr, src.ptr, uint64(src.Bytes()), d.stream))
}

// Zero sets every byte of b to 0.
func (d *Device) Zero(b *Buffer) error {
	if err := d.enter(); err != nil {
		return err
	}
	defer d.leave()
	return d.zeroLocked(b)
}

func (d *Device) zeroLocked(b *Buffer) error {
	if b.n == 0 {
		return nil
	}
	return cuErr("cuMemsetD8Async", cuMemsetD8Async(b.ptr, 0, uint64(b.Bytes()), d.stream))
}
