//go:build cuda

package cuda

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The device tests run on a real GPU when one is usable. Otherwise, when a
// C++ compiler is present, on the CPU emulator in testdata/emu.cpp: a
// fake libcuda/libcublas/libnvrtc built from kernels.cu itself, so the
// kernels' indexing, reductions and barriers and every Go path up to the
// driver calls are checked here too. NNKIT_CUDA_EMU=0 disables the
// emulator, =1 forces it even where a GPU is usable.

var (
	emulated   bool   // the device tests run on the emulator
	realReason string // why the real GPU was not used ("" if it was)
	emuReason  string // why the emulator was not used
)

func TestMain(m *testing.M) {
	mode := os.Getenv("NNKIT_CUDA_EMU")
	if mode != "1" {
		d, err := open()
		if err == nil {
			openOnce.Do(func() { openDev = d })
			os.Exit(m.Run())
		}
		realReason = err.Error()
	} else {
		realReason = "NNKIT_CUDA_EMU=1"
	}
	if mode == "0" {
		emuReason = "NNKIT_CUDA_EMU=0"
	} else if dir, err := buildEmulator(); err != nil {
		emuReason = err.Error()
	} else {
		os.Setenv(EnvPath, dir)
		emulated = true
	}
	os.Exit(m.Run())
}

// testDevice returns the device for a test, or skips it with the reason.
func testDevice(t testing.TB) *Device {
	t.Helper()
	d, err := Open()
	if err != nil {
		t.Skipf("no usable CUDA device: %v (emulator: %s)", firstLine(err.Error()), emuReason)
	}
	return d
}

// buildEmulator compiles testdata/emu.cpp with kernels.cu into a shared
// library (cached by content hash) and returns a directory holding it under
// the CUDA libraries' names.
func buildEmulator() (string, error) {
	cxx, err := exec.LookPath("g++")
	if err != nil {
		if cxx, err = exec.LookPath("c++"); err != nil {
			return "", fmt.Errorf("no C++ compiler to build the CPU emulator")
		}
	}
	emu, err := os.ReadFile(filepath.Join("testdata", "emu.cpp"))
	if err != nil {
		return "", err
	}
	gen, err := emulatorKernels(kernelSource)
	if err != nil {
		return "", err
	}
	h := sha256.Sum256([]byte(string(emu) + "\x00" + gen))
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "nnkit-cuda-emu", hex.EncodeToString(h[:8]))
	lib := filepath.Join(dir, "libnnkitemu.so")
	if _, err := os.Stat(lib); err != nil {
		tmp, err := os.MkdirTemp(filepath.Dir(dir), "build")
		if err != nil {
			if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
				return "", err
			}
			if tmp, err = os.MkdirTemp(filepath.Dir(dir), "build"); err != nil {
				return "", err
			}
		}
		defer os.RemoveAll(tmp)
		if err := os.WriteFile(filepath.Join(tmp, "emu.cpp"), emu, 0o644); err != nil {
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
	}
	return dir, nil
}

var paramName = regexp.MustCompile(`^(.*?)\s*\b(\w+)$`)

// emulatorKernels turns kernels.cu into C++ for the emulator: the source
// in namespaces nk_f32 and nk_f64 (real = float, double), a wrapper per
// kernel that unpacks cuLaunchKernel's parameter array, and the tables
// cuModuleGetFunction searches.
func emulatorKernels(src string) (string, error) {
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
