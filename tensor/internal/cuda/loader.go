//go:build cuda

package cuda

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ebitengine/purego"
)

// EnvPath names the environment variable holding extra library directories
// (colon-separated), searched before every other place.
const EnvPath = "NNKIT_CUDA_PATH"

// libSpec describes one shared library to find: what to call it in
// messages, its sonames in order of preference, and the glob that catches
// other versions (libnvrtc.so.11.8, ...).
type libSpec struct {
	what    string   // "driver libcuda.so.1", "library libnvrtc"
	sonames []string // tried in each directory, then by plain name
	glob    string   // other versions in a directory, newest first
}

var (
	specDriver = libSpec{what: "driver libcuda.so.1", sonames: []string{"libcuda.so.1", "libcuda.so"}}
	specNVRTC  = libSpec{what: "library libnvrtc", sonames: []string{"libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2", "libnvrtc.so.11.1", "libnvrtc.so.11.0", "libnvrtc.so"}, glob: "libnvrtc.so.*"}
	specCublas = libSpec{what: "library libcublas", sonames: []string{"libcublas.so.13", "libcublas.so.12", "libcublas.so.11", "libcublas.so"}, glob: "libcublas.so.*"}
)

// loaderDefault stands, in a search list, for dlopen of the plain soname,
// which lets the dynamic loader search LD_LIBRARY_PATH and its cache.
const loaderDefault = "(loader default)"

// searchDirs returns the places to look for the CUDA libraries, in order.
// getenv reads the environment and root prefixes every absolute path (""
// on a real system; a temporary directory in tests). Directories that do
// not exist are dropped, except loaderDefault.
func searchDirs(getenv func(string) string, root string) []string {
	var dirs []string
	seen := map[string]bool{}
	add := func(d string) {
		if d == "" || seen[d] {
			return
		}
		if d != loaderDefault {
			if st, err := os.Stat(d); err != nil || !st.IsDir() {
				return
			}
		}
		seen[d] = true
		dirs = append(dirs, d)
	}
	for _, d := range strings.Split(getenv(EnvPath), ":") {
		if d != "" {
			add(root + d)
		}
	}
	add(loaderDefault)
	for _, v := range []string{"CUDA_HOME", "CUDA_PATH"} {
		if d := getenv(v); d != "" {
			add(root + filepath.Join(d, "lib64"))
			add(root + filepath.Join(d, "targets/x86_64-linux/lib"))
		}
	}
	for _, d := range []string{
		"/usr/lib/x86_64-linux-gnu",
		"/usr/local/cuda/lib64",
		"/usr/local/cuda/targets/x86_64-linux/lib",
		"/usr/lib/wsl/lib",
		"/opt/cuda/lib64",
		"/usr/lib64",
	} {
		add(root + d)
	}
	// pip's nvidia-* wheels: site-packages/nvidia/<component>/lib (CUDA 11
	// and 12) and site-packages/nvidia/cu13/lib (CUDA 13).
	var sites []string
	for _, pat := range sitePatterns(getenv) {
		m, _ := filepath.Glob(root + pat)
		sort.Sort(sort.Reverse(sort.StringSlice(m))) // newest Python first
		sites = append(sites, m...)
	}
	for _, s := range sites {
		for _, comp := range []string{"cuda_nvrtc", "cublas", "cuda_runtime", "cu13", "cu12"} {
			add(filepath.Join(s, "nvidia", comp, "lib"))
		}
		m, _ := filepath.Glob(filepath.Join(s, "nvidia", "*", "lib"))
		for _, d := range m {
			add(d)
		}
	}
	return dirs
}

// sitePatterns are globs for Python site directories that may hold pip's
// nvidia-* packages.
func sitePatterns(getenv func(string) string) []string {
	pats := []string{}
	for _, v := range []string{"VIRTUAL_ENV", "CONDA_PREFIX"} {
		if d := getenv(v); d != "" {
			pats = append(pats, filepath.Join(d, "lib/python3*/site-packages"))
		}
	}
	if h := getenv("HOME"); h != "" {
		pats = append(pats, filepath.Join(h, ".local/lib/python3*/site-packages"))
	}
	return append(pats,
		"/usr/local/lib/python3*/dist-packages",
		"/usr/local/lib/python3*/site-packages",
		"/usr/lib/python3/dist-packages",
		"/usr/lib/python3*/site-packages",
		"/opt/conda/lib/python3*/site-packages",
	)
}

// candidates lists the files to try for spec, in order: in each directory
// its sonames, then other versions matching spec.glob (highest first); for
// loaderDefault the plain sonames.
func candidates(spec libSpec, dirs []string) []string {
	var out []string
	for _, d := range dirs {
		if d == loaderDefault {
			out = append(out, spec.sonames...)
			continue
		}
		have := map[string]bool{}
		for _, s := range spec.sonames {
			p := filepath.Join(d, s)
			if fileExists(p) {
				out = append(out, p)
				have[p] = true
			}
		}
		if spec.glob == "" {
			continue
		}
		m, _ := filepath.Glob(filepath.Join(d, spec.glob))
		sort.Slice(m, func(i, j int) bool { return versionLess(m[j], m[i]) })
		for _, p := range m {
			if !have[p] && !strings.Contains(filepath.Base(p), "builtins") && !strings.HasSuffix(p, ".alt") {
				out = append(out, p)
			}
		}
	}
	return out
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// versionLess orders "libx.so.11.2" before "libx.so.12" (numeric parts).
func versionLess(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		if pa[i] == pb[i] {
			continue
		}
		var na, nb int
		_, ea := fmt.Sscanf(pa[i], "%d", &na)
		_, eb := fmt.Sscanf(pb[i], "%d", &nb)
		if ea == nil && eb == nil {
			return na < nb
		}
		return pa[i] < pb[i]
	}
	return len(pa) < len(pb)
}

// notFound is the one-line error for a library that no candidate loaded.
func notFound(spec libSpec, dirs []string, lastErr error) error {
	shown := make([]string, len(dirs))
	copy(shown, dirs)
	if len(shown) > 8 {
		shown = append(shown[:8], fmt.Sprintf("and %d more", len(dirs)-8))
	}
	msg := fmt.Sprintf("%s not found (searched %s=%q, %s)", spec.what, EnvPath, os.Getenv(EnvPath), strings.Join(shown, ", "))
	if lastErr != nil && !strings.Contains(lastErr.Error(), "No such file") {
		msg += ": " + firstLine(lastErr.Error())
	}
	return fmt.Errorf("%s", msg)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// openLib dlopens the first candidate of spec that loads and returns its
// handle and path.
func openLib(spec libSpec, dirs []string) (uintptr, string, error) {
	var last error
	for _, p := range candidates(spec, dirs) {
		if spec.what == specCublas.what {
			preloadCublasLt(p)
		}
		h, err := purego.Dlopen(p, purego.RTLD_NOW|purego.RTLD_GLOBAL)
		if err == nil {
			return h, p, nil
		}
		last = err
	}
	return 0, "", notFound(spec, dirs, last)
}

// openLibs dlopens every loadable candidate of spec, in order; used for
// NVRTC, where a library newer than the driver produces PTX the driver
// rejects and the next one should be tried.
func openLibs(spec libSpec, dirs []string) (handles []uintptr, paths []string, err error) {
	var last error
	seen := map[string]bool{}
	for _, p := range candidates(spec, dirs) {
		h, e := purego.Dlopen(p, purego.RTLD_NOW|purego.RTLD_LOCAL)
		if e != nil {
			last = e
			continue
		}
		if seen[fmt.Sprint(h)] { // the same library under another name
			continue
		}
		seen[fmt.Sprint(h)] = true
		handles, paths = append(handles, h), append(paths, p)
	}
	if len(handles) == 0 {
		return nil, nil, notFound(spec, dirs, last)
	}
	return handles, paths, nil
}

// preloadCublasLt loads libcublasLt from cuBLAS's directory first, so that
// libcublas resolves it even when that directory is not on the loader's
// path (pip wheels, a toolkit outside ld.so.conf).
func preloadCublasLt(cublas string) {
	if !strings.Contains(cublas, "/") {
		return
	}
	base := filepath.Base(cublas) // libcublas.so.12
	lt := filepath.Join(filepath.Dir(cublas), strings.Replace(base, "libcublas", "libcublasLt", 1))
	if fileExists(lt) {
		_, _ = purego.Dlopen(lt, purego.RTLD_NOW|purego.RTLD_GLOBAL)
	}
}
