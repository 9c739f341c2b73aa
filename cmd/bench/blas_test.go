package main

import (
	"errors"
	"math"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestBLASConfigs(t *testing.T) {
	withOverrides := []string{"HOME=/h", "OPENBLAS_CORETYPE=Haswell", "OPENBLAS_L2_SIZE=512", "OPENBLAS_NUM_THREADS=2"}
	for _, c := range []struct {
		name      string
		environ   []string
		avx512    bool
		wantNames []string
		wantNote  string
	}{
		{"overrides and AVX-512", withOverrides, true, []string{"inherited", "overrides unset"}, ""},
		{"overrides, no AVX-512", withOverrides, false, []string{"inherited"}, "the CPU has no AVX-512"},
		{"no overrides", []string{"HOME=/h"}, true, []string{"inherited"}, "the environment sets none of OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE"},
	} {
		cfgs, note := blasConfigs(c.environ, c.avx512)
		var names []string
		for _, cf := range cfgs {
			names = append(names, cf.name)
		}
		if !slices.Equal(names, c.wantNames) || !strings.Contains(note, c.wantNote) {
			t.Errorf("%s: configs %q, note %q; want %q, a note with %q", c.name, names, note, c.wantNames, c.wantNote)
		}
		if !slices.Equal(cfgs[0].env, c.environ) {
			t.Errorf("%s: inherited env = %q, want %q", c.name, cfgs[0].env, c.environ)
		}
	}
	cfgs, _ := blasConfigs(withOverrides, true)
	// Only the two overrides go; the rest (OPENBLAS_NUM_THREADS too) stays.
	if want := []string{"HOME=/h", "OPENBLAS_NUM_THREADS=2"}; !slices.Equal(cfgs[1].env, want) {
		t.Errorf("overrides-unset env = %q, want %q", cfgs[1].env, want)
	}
	if cfgs[0].desc != "OPENBLAS_CORETYPE=Haswell OPENBLAS_L2_SIZE=512" || cfgs[1].desc != "without OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE" {
		t.Errorf("descriptions %q, %q", cfgs[0].desc, cfgs[1].desc)
	}
}

func TestChooseBLAS(t *testing.T) {
	trial := func(name string, mm, conv, speed float64) blasTrial {
		return blasTrial{cfg: blasConfig{name: name}, probe: probeResult{MMErr: mm, ConvErr: conv, Sgemm: speed / 2, SgemmCPU: speed}}
	}
	broken := blasTrial{cfg: blasConfig{name: "broken"}, err: errors.New("no answer")}
	for _, c := range []struct {
		name       string
		trials     []blasTrial
		want       int
		wantVerd   []string
		wantReason string
		wantErr    string
	}{
		{"fastest verified", []blasTrial{trial("a", 3e-7, 2e-7, 95), trial("b", 3e-7, 2e-7, 160)}, 1,
			[]string{"verified", "verified"}, "the fastest that verified: 160 GFLOP/s against a 95", ""},
		{"faster but wrong mm", []blasTrial{trial("a", 3e-7, 2e-7, 95), trial("b", 0.3, 2e-7, 300)}, 0,
			[]string{"verified", "refused: torch.mm relative error 3.0e-01 against float64, above 1e-05"}, "the only one that verified", ""},
		{"faster but wrong conv", []blasTrial{trial("a", 3e-7, 2e-7, 95), trial("b", 3e-7, 2e-3, 300)}, 0,
			[]string{"verified", "refused: conv2d relative error 2.0e-03 against float64, above 1e-05"}, "the only one that verified", ""},
		{"NaN refused", []blasTrial{trial("a", math.NaN(), 2e-7, 300), trial("b", 3e-7, 2e-7, 95)}, 1,
			[]string{"refused: torch.mm relative error NaN against float64, above 1e-05", "verified"}, "the only one that verified", ""},
		{"no rate", []blasTrial{trial("a", 3e-7, 2e-7, 0)}, -1, []string{"not usable: no sgemm rate measured"}, "", "no BLAS configuration verified (a: not usable"},
		{"one tried", []blasTrial{trial("a", 3e-7, 2e-7, 95)}, 0, []string{"verified"}, "the only configuration tried", ""},
		{"failed start", []blasTrial{broken, trial("b", 3e-7, 2e-7, 95)}, 1, []string{"not usable: no answer", "verified"}, "the only one that verified", ""},
		{"none verified", []blasTrial{broken, trial("b", 1, 1, 95)}, -1, nil, "", "no BLAS configuration verified (broken: not usable: no answer; b: refused: torch.mm"},
	} {
		got, verd, reason, err := chooseBLAS(c.trials, blasTolerance)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%s: err %v, want one with %q", c.name, err, c.wantErr)
			}
			continue
		}
		if err != nil || got != c.want || !slices.Equal(verd, c.wantVerd) || reason != c.wantReason {
			t.Errorf("%s: chose %d (%q; %q; %v), want %d (%q; %q)", c.name, got, verd, reason, err, c.want, c.wantVerd, c.wantReason)
		}
	}
}

// The report names what the chosen process runs: the OpenBLAS core and
// build, oneDNN's ISA, the thread settings, the torch version.
func TestReportBLAS(t *testing.T) {
	p := probeResult{Torch: "1.13.0a0", OpenBLASLib: "/lib/libopenblasp.so", OpenBLASCore: "Cooperlake", OpenBLASConfig: "OpenBLAS 0.3.21 DYNAMIC_ARCH Cooperlake",
		OneDNNISA: "Intel AVX-512 with Intel DL Boost", OneDNNConv: "jit:avx512_core", ATenCapability: "AVX2", InteropThreads: 1, TorchThreads: 1, OpenBLASThreads: 2,
		MMErr: 3e-7, ConvErr: 2e-7, Sgemm: 150, SgemmCPU: 160}
	trials := []blasTrial{
		{cfg: blasConfig{name: "inherited", desc: "OPENBLAS_CORETYPE=Haswell"}, err: errors.New("probe: boom")},
		{cfg: blasConfig{name: "overrides unset", desc: "without OPENBLAS_CORETYPE"}, probe: p},
	}
	var b strings.Builder
	reportBLAS(&b, "/usr/bin/python3", trials, 1, []string{"not usable: probe: boom", "verified"}, "the only one that verified", "")
	for _, want := range []string{
		`PyTorch BLAS configuration: "overrides unset", the only one that verified`,
		"    inherited        OPENBLAS_CORETYPE=Haswell: not usable: probe: boom",
		"  * overrides unset  without OPENBLAS_CORETYPE: OpenBLAS core Cooperlake, torch.mm 1 thread 150 GFLOP/s (160 per CPU-second), error against float64 torch.mm 3.0e-07, conv2d 2.0e-07: verified",
		"torch 1.13.0a0 (/usr/bin/python3); OpenBLAS 0.3.21 DYNAMIC_ARCH Cooperlake (/lib/libopenblasp.so)",
		"OpenBLAS core Cooperlake; oneDNN ISA Intel AVX-512 with Intel DL Boost, conv2d by jit:avx512_core; ATen CPU capability AVX2",
		"torch.set_num_threads(T) and openblas_set_num_threads(T) (defaults in the process: torch 1, OpenBLAS 2); inter-op threads 1; OMP_NUM_THREADS unset",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, b.String())
		}
	}
}

// The real bench_torch.py answers the probe with every field bench
// reports, where Debian's torch is installed (not in CI: skipped there).
func TestRealTorchProbe(t *testing.T) {
	const python = "/usr/bin/python3"
	if testing.Short() {
		t.Skip("-short: no PyTorch process")
	}
	if err := exec.Command(python, "-c", "import torch").Run(); err != nil {
		t.Skipf("no torch in %s: %v", python, err)
	}
	s, err := startTorch(python, "../../scripts/bench_torch.py", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	p, err := s.probe()
	if err != nil {
		t.Fatal(err)
	}
	if p.Torch == "" || p.OneDNNISA == "" || p.OneDNNConv == "" || p.ATenCapability == "" || p.TorchThreads < 1 || p.InteropThreads < 1 {
		t.Errorf("probe lacks torch's configuration: %+v", p)
	}
	if p.OpenBLASLib != "" && (p.OpenBLASCore == "" || p.OpenBLASConfig == "" || p.OpenBLASThreads < 1) {
		t.Errorf("probe found %s but not its core, build or threads: %+v", p.OpenBLASLib, p)
	}
	if !(p.MMErr > 0 && p.MMErr <= blasTolerance && p.ConvErr > 0 && p.ConvErr <= blasTolerance) {
		t.Errorf("probe errors against float64: torch.mm %v, conv2d %v; want in (0, %v]", p.MMErr, p.ConvErr, blasTolerance)
	}
	if p.Sgemm <= 0 || p.SgemmCPU <= 0 {
		t.Errorf("probe sgemm rates %v, %v per CPU-second; want positive", p.Sgemm, p.SgemmCPU)
	}
	// A workload slice answers in the units bench reads, twice in a row
	// (the second from the server's cached workload).
	for i := range 2 {
		tl, err := s.measure("sgemm", 1, 50*time.Millisecond, i == 0)
		if r, c := tl.rates(); err != nil || r <= 0 || c <= 0 || tl.wall < 50*time.Millisecond {
			t.Errorf("measure sgemm, slice %d: %+v (%v, %v per CPU-second), %v; want positive rates over at least 50ms", i+1, tl, r, c, err)
		}
	}
}

// The PyTorch process gets the malloc variables unless the environment
// sets them; a variable the user set is kept, and the note says which.
func TestWithMallocKeep(t *testing.T) {
	for _, c := range []struct {
		environ []string
		want    []string
		noteHas string
	}{
		{[]string{"PATH=/bin"}, []string{"PATH=/bin", "MALLOC_MMAP_THRESHOLD_=4294967296", "MALLOC_TRIM_THRESHOLD_=4294967296"}, "keeps freed memory"},
		{[]string{"MALLOC_TRIM_THRESHOLD_=1"}, []string{"MALLOC_TRIM_THRESHOLD_=1", "MALLOC_MMAP_THRESHOLD_=4294967296"}, "MALLOC_TRIM_THRESHOLD_=1 kept"},
		{[]string{"MALLOC_MMAP_THRESHOLD_=2", "MALLOC_TRIM_THRESHOLD_=3"}, []string{"MALLOC_MMAP_THRESHOLD_=2", "MALLOC_TRIM_THRESHOLD_=3"}, "(kept)"},
	} {
		got, note := withMallocKeep(c.environ)
		if !slices.Equal(got, c.want) || !strings.Contains(note, c.noteHas) {
			t.Errorf("withMallocKeep(%q) = %q, %q; want %q and a note with %q", c.environ, got, note, c.want, c.noteHas)
		}
	}
}
