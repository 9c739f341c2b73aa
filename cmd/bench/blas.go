package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// blasOverrides are the variables that pin Debian's OpenBLAS to a core
// type and cache size. This machine's environment sets them to Haswell's
// (AVX2) kernels, which run torch.mm at about 60 % of the AVX-512 kernels'
// speed on Zen 5 with the same results: kept, they handicap PyTorch.
var blasOverrides = []string{"OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"}

// blasTolerance bounds the relative norm error of torch.mm 1024^3 and of
// a 3x3 convolution in float32 against float64 that a configuration may
// have: a correct float32 kernel is near 3e-7 on both; a wrong kernel (an
// ISA the CPU lacks, a broken blocking) is off by far more.
const blasTolerance = 1e-5

// A blasConfig is one environment the PyTorch process may run in.
type blasConfig struct {
	name string   // "inherited" or "overrides unset"
	desc string   // what it sets or removes, for the report
	env  []string // the PyTorch process's whole environment
}

// blasConfigs lists the environments to try for PyTorch: the inherited one
// and, where the CPU has AVX-512 and the environment sets an OpenBLAS
// override, the same without the overrides (OpenBLAS then picks its
// kernels from CPUID). The note says why only one is tried, if so.
func blasConfigs(environ []string, hasAVX512 bool) ([]blasConfig, string) {
	var set []string
	var rest []string
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		if slices.Contains(blasOverrides, k) {
			set = append(set, kv)
		} else {
			rest = append(rest, kv)
		}
	}
	inherited := blasConfig{name: "inherited", desc: "no OpenBLAS overrides", env: slices.Clone(environ)}
	if len(set) > 0 {
		inherited.desc = strings.Join(set, " ")
	}
	switch {
	case len(set) == 0:
		return []blasConfig{inherited}, "the environment sets none of " + strings.Join(blasOverrides, ", ") + ": OpenBLAS picks its kernels from CPUID"
	case !hasAVX512:
		return []blasConfig{inherited}, "the CPU has no AVX-512: the overrides " + strings.Join(set, " ") + " are kept (no faster OpenBLAS kernel to unlock)"
	}
	unset := blasConfig{name: "overrides unset", desc: "without " + strings.Join(keys(set), ", "), env: rest}
	return []blasConfig{inherited, unset}, ""
}

// mallocKeepVars make glibc's malloc keep freed memory for reuse: with
// its defaults, a block above the mmap threshold (128 KiB, raised only
// by the frees it sees) is mapped at each allocation and unmapped at each
// free, and the top of the heap is trimmed, so PyTorch's autograd, which
// allocates and frees megabytes per operation, faults its memory in page
// by page every step. PyTorch's CPU tuning guide advises a caching
// allocator (jemalloc, tcmalloc); these two variables do the same with
// Debian's glibc. They change no result, only where memory comes from.
// ResNet-18 training ran 37-49 examples/s on one thread without them and
// 59-71 with (scripts/bench_torch.py alone, 2026-12-07).
var mallocKeepVars = []string{"MALLOC_MMAP_THRESHOLD_=4294967296", "MALLOC_TRIM_THRESHOLD_=4294967296"}

// withMallocKeep returns environ with mallocKeepVars added, each unless
// environ sets that variable already (the user's choice stands), and a
// note saying which were set.
func withMallocKeep(environ []string) ([]string, string) {
	out := slices.Clone(environ)
	var added, kept []string
	for _, kv := range mallocKeepVars {
		k, _, _ := strings.Cut(kv, "=")
		if i := slices.IndexFunc(environ, func(e string) bool { return strings.HasPrefix(e, k+"=") }); i >= 0 {
			kept = append(kept, environ[i])
			continue
		}
		out = append(out, kv)
		added = append(added, kv)
	}
	note := "glibc malloc keeps freed memory for reuse (" + strings.Join(added, " ") + "), as PyTorch's CPU tuning guide's advice to use a caching allocator does"
	switch {
	case len(added) == 0:
		note = "the environment's " + strings.Join(kept, " ") + " (kept)"
	case len(kept) > 0:
		note += "; the environment's " + strings.Join(kept, " ") + " kept"
	}
	return out, note
}

func keys(kvs []string) []string {
	var ks []string
	for _, kv := range kvs {
		k, _, _ := strings.Cut(kv, "=")
		ks = append(ks, k)
	}
	return ks
}

// probeResult is bench_torch.py's answer to {"probe": true}.
type probeResult struct {
	Torch           string  `json:"torch"`
	OpenBLASLib     string  `json:"openblas_lib"`
	OpenBLASCore    string  `json:"openblas_core"`
	OpenBLASConfig  string  `json:"openblas_config"`
	OpenBLASThreads int     `json:"openblas_threads"` // its pool's size before bench sets it
	TorchThreads    int     `json:"torch_threads"`    // torch's intra-op threads before bench sets them
	InteropThreads  int     `json:"interop_threads"`
	OMPNumThreads   string  `json:"omp_num_threads"`
	OneDNNISA       string  `json:"onednn_isa"`
	OneDNNConv      string  `json:"onednn_conv"`
	ATenCapability  string  `json:"aten_capability"`
	MMErr           float64 `json:"mm_rel_err"`
	ConvErr         float64 `json:"conv_rel_err"`
	Sgemm           float64 `json:"sgemm_gflops"`
	SgemmCPU        float64 `json:"sgemm_gflops_cpu"`
	Error           string  `json:"error"`
}

// speed is the probe's single-thread sgemm rate that the choice compares:
// per CPU-second where measured (steadier on a loaded machine).
func (p probeResult) speed() float64 {
	if p.SgemmCPU > 0 {
		return p.SgemmCPU
	}
	return p.Sgemm
}

// A blasTrial is one configuration tried: its probe, or why none came.
type blasTrial struct {
	cfg   blasConfig
	probe probeResult
	err   error
}

// chooseBLAS picks the fastest trial whose torch.mm and convolution are
// within tol of float64; a wrong result is refused however fast. It
// returns the chosen index, one verdict per trial and the reason for the
// choice, or an error when none verified.
func chooseBLAS(trials []blasTrial, tol float64) (int, []string, string, error) {
	verdicts := make([]string, len(trials))
	chosen, verified := -1, 0
	for i, t := range trials {
		p := t.probe
		switch {
		case t.err != nil:
			verdicts[i] = "not usable: " + t.err.Error()
		case !(p.MMErr <= tol): // NaN fails too
			verdicts[i] = fmt.Sprintf("refused: torch.mm relative error %.1e against float64, above %.0e", p.MMErr, tol)
		case !(p.ConvErr <= tol):
			verdicts[i] = fmt.Sprintf("refused: conv2d relative error %.1e against float64, above %.0e", p.ConvErr, tol)
		case !(p.speed() > 0):
			verdicts[i] = "not usable: no sgemm rate measured"
		default:
			verdicts[i] = "verified"
			verified++
			if chosen < 0 || p.speed() > trials[chosen].probe.speed() {
				chosen = i
			}
		}
	}
	if chosen < 0 {
		var why []string
		for i, t := range trials {
			why = append(why, t.cfg.name+": "+verdicts[i])
		}
		return -1, verdicts, "", fmt.Errorf("no BLAS configuration verified (%s)", strings.Join(why, "; "))
	}
	reason := "the only configuration tried"
	switch {
	case verified == 1 && len(trials) > 1:
		reason = "the only one that verified"
	case verified > 1:
		var others []string
		for i, t := range trials {
			if i != chosen && verdicts[i] == "verified" {
				others = append(others, fmt.Sprintf("%s %.0f", t.cfg.name, t.probe.speed()))
			}
		}
		reason = fmt.Sprintf("the fastest that verified: %.0f GFLOP/s against %s", trials[chosen].probe.speed(), strings.Join(others, ", "))
	}
	return chosen, verdicts, reason, nil
}

// reportBLAS prints the configurations tried, the choice and why, and
// what the chosen process runs: the OpenBLAS core, thread settings, torch
// version and oneDNN's ISA.
func reportBLAS(w io.Writer, python string, trials []blasTrial, chosen int, verdicts []string, reason, note string) {
	fmt.Fprintf(w, "PyTorch BLAS configuration: %q, %s", trials[chosen].cfg.name, reason)
	if note != "" {
		fmt.Fprintf(w, " (%s)", note)
	}
	fmt.Fprintln(w)
	for i, t := range trials {
		mark := " "
		if i == chosen {
			mark = "*"
		}
		p := t.probe
		if t.err != nil {
			fmt.Fprintf(w, "  %s %-16s %s: %s\n", mark, t.cfg.name, t.cfg.desc, verdicts[i])
			continue
		}
		fmt.Fprintf(w, "  %s %-16s %s: OpenBLAS core %s, torch.mm 1 thread %.0f GFLOP/s (%.0f per CPU-second), error against float64 torch.mm %.1e, conv2d %.1e: %s\n",
			mark, t.cfg.name, t.cfg.desc, orUnknown(p.OpenBLASCore), p.Sgemm, p.SgemmCPU, p.MMErr, p.ConvErr, verdicts[i])
	}
	p := trials[chosen].probe
	fmt.Fprintf(w, "PyTorch: torch %s (%s); %s (%s)\n", p.Torch, python, orUnknown(p.OpenBLASConfig), orUnknown(p.OpenBLASLib))
	fmt.Fprintf(w, "PyTorch kernels: OpenBLAS core %s; oneDNN ISA %s, conv2d by %s; ATen CPU capability %s\n",
		orUnknown(p.OpenBLASCore), orUnknown(p.OneDNNISA), orUnknown(p.OneDNNConv), orUnknown(p.ATenCapability))
	omp := p.OMPNumThreads
	if omp == "" {
		omp = "unset"
	}
	fmt.Fprintf(w, "PyTorch threads: each column T sets torch.set_num_threads(T) and openblas_set_num_threads(T) (defaults in the process: torch %d, OpenBLAS %d); inter-op threads %d; OMP_NUM_THREADS %s\n",
		p.TorchThreads, p.OpenBLASThreads, p.InteropThreads, omp)
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
