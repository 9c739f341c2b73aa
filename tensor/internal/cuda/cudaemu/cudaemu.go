//go:build cuda

// Package cudaemu builds the CPU emulator of the CUDA driver, cuBLAS and
// NVRTC that nnkit's device tests run on where there is no GPU: emu.cpp
// (a small fake libcuda/libcublas/libnvrtc) compiled with the kernels of
// kernels.cu turned into C++ (float and double), so every kernel runs with
// its real grid and block sizes, a block's threads as fibers and
// __syncthreads and the warp shuffles as counting barriers.
//
// It is for tests only (tensor/internal/cuda's, and tensor's and
// solutions/nets' through tensor/cudatest): nothing in a program imports
// it. Build returns a folder holding the library under the
// CUDA libraries' names; pointing NNKIT_CUDA_PATH at it makes cuda.Open
// load the emulator. The emulator checks the kernels' indexing,
// reductions and synchronisation and every Go path down to the driver
// calls; it does not check PTX generation, the real cuBLAS, memory
// coherence between threads or speed.
package cudaemu

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
)

//go:embed csrc/emu.cpp
var emuSource string

var (
	buildMu sync.Mutex
	built   = map[string]string{}
)

// Build compiles the emulator for kernelSource (the text of kernels.cu)
// with g++ (or c++) and returns the folder holding it as libcuda.so.1,
// libcublas.so.12 and libnvrtc.so.12. The result is cached under the
// user's cache folder by content hash, so only the first build of a
// version takes a compiler run (seconds).
func Build(kernelSource string) (string, error) {
	buildMu.Lock()
	defer buildMu.Unlock()
	if dir, ok := built[kernelSource]; ok {
		return dir, nil
	}
	dir, err := build(kernelSource)
	if err == nil {
		built[kernelSource] = dir
	}
	return dir, err
}

func build(kernelSource string) (string, error) {
	cxx, err := exec.LookPath("g++")
	if err != nil {
		if cxx, err = exec.LookPath("c++"); err != nil {
			return "", fmt.Errorf("no C++ compiler to build the CPU emulator")
		}
	}
	gen, err := Kernels(kernelSource)
	if err != nil {
		return "", err
	}
	h := sha256.Sum256([]byte(emuSource + "\x00" + gen))
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "nnkit-cuda-emu", hex.EncodeToString(h[:8]))
	lib := filepath.Join(dir, "libnnkitemu.so")
	if fileExists(lib) {
		return dir, nil
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "build")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	if err := os.WriteFile(filepath.Join(tmp, "emu.cpp"), []byte(emuSource), 0o644); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(tmp, "gen.inc"), []byte(gen), 0o644); err != nil {
		return "", err
	}
	out, err := exec.Command(cxx, "-std=c++17", "-O1", "-w", "-shared", "-fPIC", "-o", filepath.Join(tmp, "libnnkitemu.so"),
		filepath.Join(tmp, "emu.cpp")).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("building the CPU emulator: %v\n%s", err, out)
	}
	for _, name := range []string{"libcuda.so.1", "libcublas.so.12", "libnvrtc.so.12"} {
		if err := os.Symlink("libnnkitemu.so", filepath.Join(tmp, name)); err != nil {
			return "", err
		}
	}
	if err := os.Rename(tmp, dir); err != nil && !fileExists(lib) {
		return "", err
	}
	return dir, nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// kernelDecl matches an extern "C" kernel and captures its name and
// parameter list.
var kernelDecl = regexp.MustCompile(`extern "C" __global__ void (\w+)\s*\(([^)]*)\)`)

var paramName = regexp.MustCompile(`^(.*?)\s*\b(\w+)$`)

// Kernels turns kernels.cu into C++ for the emulator: the source in
// namespaces nk_f32 and nk_f64 (real = float, double), a wrapper per
// kernel that unpacks cuLaunchKernel's parameter array, and the tables
// cuModuleGetFunction searches.
func Kernels(src string) (string, error) {
	body := strings.ReplaceAll(src, `extern "C" `, "")
	var b strings.Builder
	type ns struct{ name, real string }
	nss := []ns{{"nk_f32", "float"}, {"nk_f64", "double"}}
	for _, n := range nss {
		fmt.Fprintf(&b, "namespace %s {\n#define real %s\n%s\n#undef real\n}\n", n.name, n.real, body)
	}
	realWord := regexp.MustCompile(`\breal\b`)
	structWord := regexp.MustCompile(`\b(Bcast|Perm)\b`)
	decls := kernelDecl.FindAllStringSubmatch(src, -1)
	if len(decls) == 0 {
		return "", fmt.Errorf("no kernels found in kernels.cu")
	}
	for _, n := range nss {
		var table strings.Builder
		for _, d := range decls {
			var args []string
			for i, p := range strings.Split(d[2], ",") {
				m := paramName.FindStringSubmatch(strings.TrimSpace(p))
				if m == nil {
					return "", fmt.Errorf("kernel %s: cannot parse parameter %q", d[1], p)
				}
				typ := realWord.ReplaceAllString(m[1], n.real)
				typ = structWord.ReplaceAllString(typ, n.name+"::$1")
				args = append(args, fmt.Sprintf("*(%s*)p[%d]", typ, i))
			}
			fmt.Fprintf(&b, "static void w_%s_%s(void** p) { %s::%s(%s); }\n", n.name, d[1], n.name, d[1], strings.Join(args, ", "))
			fmt.Fprintf(&table, "    {\"%s\", w_%s_%s, %v},\n", d[1], n.name, d[1], usesBarrier(src, d[1]))
		}
		fmt.Fprintf(&b, "static const KernelEntry table_%s[] = {\n%s    {nullptr, nullptr}};\n", strings.TrimPrefix(n.name, "nk_"), table.String())
	}
	return b.String(), nil
}

// barrierWords are the calls (and helpers making them) that need the
// block's threads to run concurrently.
var barrierWords = regexp.MustCompile(`\b(__syncthreads|__shfl_down_sync|warp_sum|block_sum)\s*\(`)

// usesBarrier reports whether kernel name's body calls a barrier or a
// helper that does; the emulator runs the others without fibers.
func usesBarrier(src, name string) bool {
	i := strings.Index(src, `extern "C" __global__ void `+name+"(")
	if i < 0 {
		return true
	}
	open := strings.IndexByte(src[i:], '{')
	if open < 0 {
		return true
	}
	depth, j := 0, i+open
	for ; j < len(src); j++ {
		switch src[j] {
		case '{':
			depth++
		case '}':
			depth--
		}
		if depth == 0 {
			break
		}
	}
	return barrierWords.MatchString(src[i+open : j])
}

// Select decides, for a test binary, whether CUDA tests run on a real GPU
// or on the emulator, as NNKIT_CUDA_EMU asks (0: never the emulator, 1:
// always, unset: when probe finds no usable driver). When the emulator
// is chosen it is built from kernelSource and its folder put in the
// environment variable envPath, where the loader looks. reason is why
// neither can run ("" when one can); emulated says which one will.
// tensor/cudatest wraps it for tensor's and solutions/nets' CUDA tests
// (this package cannot import tensor/internal/cuda, whose own tests
// import it).
func Select(probe func() error, kernelSource, envPath string) (reason string, emulated bool) {
	mode := os.Getenv("NNKIT_CUDA_EMU")
	realReason := "NNKIT_CUDA_EMU=1"
	if mode != "1" {
		err := probe()
		if err == nil {
			return "", false
		}
		realReason = err.Error()
	}
	if mode == "0" {
		return realReason + " (emulator: NNKIT_CUDA_EMU=0)", false
	}
	dir, err := Build(kernelSource)
	if err != nil {
		return realReason + " (emulator: " + err.Error() + ")", false
	}
	os.Setenv(envPath, dir)
	return "", true
}
