//go:build cuda

package cuda

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// fakeTree creates the files (relative paths) under a temporary root.
func fakeTree(t *testing.T, files ...string) string {
	t.Helper()
	root := t.TempDir()
	for _, f := range files {
		p := filepath.Join(root, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("not a library"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestSearchDirsOrder(t *testing.T) {
	root := fakeTree(t,
		"opt/mine/libnvrtc.so.12",
		"opt/other/.keep",
		"usr/lib/x86_64-linux-gnu/libcuda.so.1",
		"usr/local/cuda/lib64/libcublas.so.12",
		"usr/local/lib/python3.11/dist-packages/nvidia/cublas/lib/libcublas.so.12",
		"usr/local/lib/python3.11/dist-packages/nvidia/cuda_nvrtc/lib/libnvrtc.so.12",
		"usr/local/lib/python3.11/dist-packages/nvidia/cu13/lib/libnvrtc.so.13",
		"home/u/.local/lib/python3.12/site-packages/nvidia/cuda_runtime/lib/libcudart.so.12",
		"cudahome/lib64/libcublas.so.11",
	)
	env := envOf(map[string]string{
		EnvPath:     "/opt/mine:/does/not/exist::/opt/other",
		"HOME":      "/home/u",
		"CUDA_HOME": "/cudahome",
	})
	got := searchDirs(env, root)
	rel := make([]string, len(got))
	for i, d := range got {
		rel[i] = strings.TrimPrefix(d, root)
	}
	want := []string{
		"/opt/mine", "/opt/other", // the environment variable first, in its order, missing ones dropped
		loaderDefault,               // then the dynamic loader's own search
		"/cudahome/lib64",           // $CUDA_HOME
		"/usr/lib/x86_64-linux-gnu", // the driver's usual folder
		"/usr/local/cuda/lib64",     // the toolkit
		"/home/u/.local/lib/python3.12/site-packages/nvidia/cuda_runtime/lib", // pip --user
		"/usr/local/lib/python3.11/dist-packages/nvidia/cuda_nvrtc/lib",
		"/usr/local/lib/python3.11/dist-packages/nvidia/cublas/lib",
		"/usr/local/lib/python3.11/dist-packages/nvidia/cu13/lib",
	}
	if !slices.Equal(rel, want) {
		t.Errorf("search dirs\n got %q\nwant %q", rel, want)
	}
}

func TestCandidates(t *testing.T) {
	root := fakeTree(t,
		"a/libnvrtc.so.12",
		"a/libnvrtc.so.11.2",
		"a/libnvrtc.so.12.4.99",
		"a/libnvrtc-builtins.so.12.4",
		"b/libnvrtc.so.13",
		"b/libcublas.so.12",
		"b/libcublasLt.so.12",
		"c/libcuda.so.1",
	)
	dirs := []string{filepath.Join(root, "a"), loaderDefault, filepath.Join(root, "b"), filepath.Join(root, "c")}
	rel := func(ps []string) []string {
		out := make([]string, len(ps))
		for i, p := range ps {
			out[i] = strings.TrimPrefix(p, root+"/")
		}
		return out
	}
	got := rel(candidates(specNVRTC, dirs))
	want := append([]string{"a/libnvrtc.so.12", "a/libnvrtc.so.11.2", "a/libnvrtc.so.12.4.99"}, specNVRTC.sonames...)
	want = append(want, "b/libnvrtc.so.13")
	if !slices.Equal(got, want) {
		t.Errorf("nvrtc candidates\n got %q\nwant %q", got, want)
	}
	got = rel(candidates(specDriver, dirs))
	want = []string{"libcuda.so.1", "libcuda.so", "c/libcuda.so.1"}
	if !slices.Equal(got, want) {
		t.Errorf("driver candidates\n got %q\nwant %q", got, want)
	}
	got = rel(candidates(specCublas, dirs))
	want = append(append([]string{}, specCublas.sonames...), "b/libcublas.so.12")
	if !slices.Equal(got, want) {
		t.Errorf("cublas candidates (libcublasLt must not be one)\n got %q\nwant %q", got, want)
	}
}

func TestVersionLess(t *testing.T) {
	for _, c := range []struct {
		a, b string
		less bool
	}{
		{"libx.so.11.2", "libx.so.12", true},
		{"libx.so.12", "libx.so.11.2", false},
		{"libx.so.9", "libx.so.10", true},
		{"libx.so.12", "libx.so.12.1", true},
	} {
		if got := versionLess(c.a, c.b); got != c.less {
			t.Errorf("versionLess(%s, %s) = %v, want %v", c.a, c.b, got, c.less)
		}
	}
}

// A library that is nowhere gives one line naming it and where it looked.
func TestNotFoundMessage(t *testing.T) {
	root := fakeTree(t, "empty/.keep")
	t.Setenv(EnvPath, filepath.Join(root, "empty"))
	spec := libSpec{what: "library libnnkitnothere", sonames: []string{"libnnkitnothere.so.1"}}
	_, _, err := openLib(spec, []string{filepath.Join(root, "empty"), loaderDefault})
	if err == nil {
		t.Fatal("openLib of a missing library succeeded")
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "library libnnkitnothere not found (searched "+EnvPath+"=") || strings.Contains(msg, "\n") ||
		!strings.Contains(msg, filepath.Join(root, "empty")) || !strings.Contains(msg, loaderDefault) {
		t.Errorf("message %q", msg)
	}
	if _, _, err := openLibs(spec, nil); err == nil || !strings.HasPrefix(err.Error(), "library libnnkitnothere not found") {
		t.Errorf("openLibs: %v", err)
	}
}

// Open either works or says in one line why not, with one of the reasons
// TryGPU reports.
func TestOpenReason(t *testing.T) {
	ok, reason := Available()
	if ok && !emulated {
		d, _ := Open()
		t.Logf("device: %s", d)
		return
	}
	if emulated {
		reason = realReason
		if reason == "NNKIT_CUDA_EMU=1" {
			return
		}
	}
	t.Logf("no GPU: %s", reason)
	known := []string{"driver libcuda.so.1 not found", "library libcublas not found", "library libnvrtc not found",
		"no CUDA device", "cuInit failed: ", "CUDA device "}
	if strings.Contains(reason, "\n") && !strings.Contains(reason, "NVRTC") {
		t.Errorf("reason spans lines: %q", reason)
	}
	for _, k := range known {
		if strings.HasPrefix(reason, k) {
			return
		}
	}
	t.Logf("reason %q has no known prefix (acceptable only for driver errors)", reason)
}

// TestDeviceInfo prints the device the other tests use (gpu-check.sh shows
// this line).
func TestDeviceInfo(t *testing.T) {
	d := testDevice(t)
	free, total, err := d.MemInfo()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("device: %s; emulated=%v; %.1f of %.1f GiB free; libraries %v", d, emulated,
		float64(free)/(1<<30), float64(total)/(1<<30), d.Libraries)
}
