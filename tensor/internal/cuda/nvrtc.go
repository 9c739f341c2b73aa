//go:build cuda

package cuda

import (
	"fmt"
	"runtime"
	"strings"
	"unsafe"
)

// nvrtc is one loaded NVRTC library (several may be loaded when the newest
// one produces PTX the driver is too old for).
type nvrtc struct {
	path string

	version              func(major, minor *int32) int32
	createProgram        func(prog *uintptr, src string, name string, numHeaders int32, headers, includeNames unsafe.Pointer) int32
	compileProgram       func(prog uintptr, numOptions int32, options unsafe.Pointer) int32
	getPTXSize           func(prog uintptr, size *uint64) int32
	getPTX               func(prog uintptr, ptx *byte) int32
	getProgramLogSize    func(prog uintptr, size *uint64) int32
	getProgramLog        func(prog uintptr, log *byte) int32
	destroyProgram       func(prog *uintptr) int32
	getErrorString       func(r int32) string
	getNumSupportedArchs func(n *int32) int32 // nil before CUDA 11.2
	getSupportedArchs    func(archs *int32) int32
	major, minor         int32
	supported            []int // compute capabilities as 10*major+minor, ascending
	supportedKnown       bool
}

func loadNVRTC(h uintptr, path string) (*nvrtc, error) {
	n := &nvrtc{path: path}
	if err := bind(h, path, []binding{
		{&n.version, "nvrtcVersion"},
		{&n.createProgram, "nvrtcCreateProgram"},
		{&n.compileProgram, "nvrtcCompileProgram"},
		{&n.getPTXSize, "nvrtcGetPTXSize"},
		{&n.getPTX, "nvrtcGetPTX"},
		{&n.getProgramLogSize, "nvrtcGetProgramLogSize"},
		{&n.getProgramLog, "nvrtcGetProgramLog"},
		{&n.destroyProgram, "nvrtcDestroyProgram"},
		{&n.getErrorString, "nvrtcGetErrorString"},
	}); err != nil {
		return nil, err
	}
	// Optional (CUDA 11.2+): the architectures this NVRTC can target.
	if err := bind(h, path, []binding{
		{&n.getNumSupportedArchs, "nvrtcGetNumSupportedArchs"},
		{&n.getSupportedArchs, "nvrtcGetSupportedArchs"},
	}); err != nil {
		n.getNumSupportedArchs, n.getSupportedArchs = nil, nil
	}
	n.version(&n.major, &n.minor)
	if n.getNumSupportedArchs != nil {
		var cnt int32
		if n.getNumSupportedArchs(&cnt) == 0 && cnt > 0 {
			archs := make([]int32, cnt)
			if n.getSupportedArchs(&archs[0]) == 0 {
				for _, a := range archs {
					n.supported = append(n.supported, int(a))
				}
				n.supportedKnown = true
			}
		}
	}
	return n, nil
}

// Version is "major.minor" of this NVRTC.
func (n *nvrtc) Version() string { return fmt.Sprintf("%d.%d", n.major, n.minor) }

// pickArch returns the virtual architecture to compile for a device of
// compute capability cc (10*major+minor): the highest this NVRTC supports
// that is not above cc (PTX for an older architecture runs on newer
// devices through the driver's JIT).
func pickArch(cc int, supported []int) int {
	if len(supported) == 0 {
		return cc
	}
	best := 0
	for _, a := range supported {
		if a <= cc && a > best {
			best = a
		}
	}
	if best == 0 {
		return supported[0]
	}
	return best
}

// compileOptions are the NVRTC options for kernels.cu with element type
// real (float or double) for architecture arch.
func compileOptions(arch int, real string) []string {
	return []string{
		fmt.Sprintf("--gpu-architecture=compute_%d", arch),
		"-Dreal=" + real,
		"--std=c++14",
		"-default-device",
	}
}

// compile compiles src to PTX; on failure the error carries NVRTC's log.
func (n *nvrtc) compile(src, name string, opts []string) ([]byte, error) {
	var prog uintptr
	if r := n.createProgram(&prog, src, name, 0, nil, nil); r != 0 {
		return nil, fmt.Errorf("nvrtcCreateProgram failed: %s", n.getErrorString(r))
	}
	defer n.destroyProgram(&prog)

	// The options array is a char** whose strings live in one Go buffer;
	// both are pinned for the call.
	var buf []byte
	offs := make([]int, len(opts))
	for i, o := range opts {
		offs[i] = len(buf)
		buf = append(buf, o...)
		buf = append(buf, 0)
	}
	ptrs := make([]uintptr, len(opts))
	var pin runtime.Pinner
	pin.Pin(&buf[0])
	for i := range opts {
		ptrs[i] = uintptr(unsafe.Pointer(&buf[offs[i]]))
	}
	pin.Pin(&ptrs[0])
	r := n.compileProgram(prog, int32(len(opts)), unsafe.Pointer(&ptrs[0]))
	pin.Unpin()
	runtime.KeepAlive(buf)
	if r != 0 {
		return nil, fmt.Errorf("NVRTC %s (%s) could not compile %s with %s: %s\n%s", n.Version(), n.path, name, strings.Join(opts, " "), n.getErrorString(r), n.log(prog))
	}
	var size uint64
	if r := n.getPTXSize(prog, &size); r != 0 || size == 0 {
		return nil, fmt.Errorf("nvrtcGetPTXSize failed: %s", n.getErrorString(r))
	}
	ptx := make([]byte, size) // NUL-terminated
	if r := n.getPTX(prog, &ptx[0]); r != 0 {
		return nil, fmt.Errorf("nvrtcGetPTX failed: %s", n.getErrorString(r))
	}
	return ptx, nil
}

func (n *nvrtc) log(prog uintptr) string {
	var size uint64
	if n.getProgramLogSize(prog, &size) != 0 || size <= 1 {
		return ""
	}
	b := make([]byte, size)
	if n.getProgramLog(prog, &b[0]) != 0 {
		return ""
	}
	return strings.TrimRight(string(b[:size-1]), "\n")
}
