package main

import (
	"errors"
	"flag"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testOptions are quick options for run: short windows, no progress.
func testOptions(works ...string) options {
	return options{works: works, duration: 20 * time.Millisecond, slices: 2, rounds: 1, maxRounds: 1,
		useTorch: true, python: "/nonexistent/python3", script: "scripts/bench_torch.py",
		threads: []int{1}, peakWindow: 10 * time.Millisecond, environ: os.Environ()}
}

// Without PyTorch, bench says so and still prints the machine, the
// measured peak and nnkit's rows.
func TestRunWithoutTorch(t *testing.T) {
	var b strings.Builder
	if err := run(&b, testOptions("lenet-infer", "sgemm")); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"machine: ", "AVX-512 ", "GOMAXPROCS", "kernel ", "FMA peak", "PyTorch: not measured", "no /nonexistent/python3",
		"lenet-infer", "examples/s", "sgemm", "GFLOP/s", "load average at start", "load average at end", "Medians over 1 round.", "Spread of all rows' per-round rates: none after 1 round (it takes 2 or more)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestParseFlags(t *testing.T) {
	for _, c := range []struct {
		args    []string
		wantErr string // "" for success
		check   func(options) bool
	}{
		{nil, "", func(o options) bool {
			return o.rounds == 3 && o.spread == 0 && len(o.works) == 5 && !o.markdown && len(o.threads) == 2
		}},
		{[]string{"-rounds", "5", "-spread", "0.15", "-max-rounds", "9", "-format", "md", "-work", "resnet-train,lenet-epoch"}, "", func(o options) bool {
			return o.rounds == 5 && o.spread == 0.15 && o.maxRounds == 9 && o.markdown && len(o.works) == 2
		}},
		{[]string{"-rounds", "0"}, "-rounds 0: want 1 or more", nil},
		{[]string{"-duration", "0s"}, "-duration 0s: want a positive", nil},
		{[]string{"-slices", "0"}, "-slices 0: want 1 or more", nil},
		{[]string{"-slices", "2", "-duration", "3s"}, "", func(o options) bool { return o.slices == 2 && o.duration == 3*time.Second }},
		{[]string{"-spread", "-0.1"}, "-spread -0.1: want a fraction", nil},
		{[]string{"-spread", "15"}, "-spread 15: want a fraction", nil},
		{[]string{"-spread", "0.15", "-rounds", "2"}, "want -rounds 3 or more", nil},
		{[]string{"-spread", "0.15", "-rounds", "5", "-max-rounds", "4"}, "-max-rounds 4: want at least -rounds (5)", nil},
		{[]string{"-rounds", "5", "-max-rounds", "4"}, "", func(o options) bool { return o.rounds == 5 }}, // no target: the cap is unused
		{[]string{"-work", "resnet"}, `unknown workload "resnet"`, nil},
		{[]string{"-torch-threads", "1,0"}, `-torch-threads "1,0"`, nil},
		{[]string{"-format", "json"}, `-format "json": want text or md`, nil},
		{[]string{"extra"}, "unexpected arguments", nil},
		{[]string{"-nosuchflag"}, "not defined", nil},
	} {
		o, err := parseFlags(c.args, io.Discard)
		switch {
		case c.wantErr == "" && err != nil:
			t.Errorf("parseFlags(%q): %v, want success", c.args, err)
		case c.wantErr == "" && !c.check(o):
			t.Errorf("parseFlags(%q) = %+v, not what the flags say", c.args, o)
		case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
			t.Errorf("parseFlags(%q): error %v, want one with %q", c.args, err, c.wantErr)
		}
	}
	if _, err := parseFlags([]string{"-h"}, io.Discard); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: %v, want flag.ErrHelp", err)
	}
}

// fakeTorch is a stand-in for bench_torch.py --serve, run by /bin/sh: its
// probe answers depend on OPENBLAS_CORETYPE as the real OpenBLAS's do,
// with the speeds and errors the test gives.
func fakeTorch(t *testing.T, inherited, unset string) string {
	t.Helper()
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh to run the fake PyTorch server")
	}
	script := `echo '{"ready": true, "torch": "9.9-fake"}'
n=0
while read -r line; do
	case "$line" in
	*probe*)
		if [ -n "$OPENBLAS_CORETYPE" ]; then echo '` + inherited + `'; else echo '` + unset + `'; fi ;;
	*'"threads":9'*) [ -n "$FAKE_TORCH_LOG" ] && echo "$line" >> "$FAKE_TORCH_LOG"
		echo '{"error": "no such thread count"}' ;;
	*) [ -n "$FAKE_TORCH_LOG" ] && echo "$line" >> "$FAKE_TORCH_LOG"
		n=$((n+1))
		if [ -n "$FAKE_TORCH_VARY" ]; then
			echo '{"work": "x", "threads": 1, "units": 1, "seconds": '$n', "cpu_seconds": '$((2*n))'}'
			continue
		fi
		echo '{"work": "x", "threads": 1, "examples_per_s": 100, "per_cpu_s": 100, "units": 1, "seconds": 0.01, "cpu_seconds": 0.01}' ;;
	esac
done
`
	p := filepath.Join(t.TempDir(), "fake_torch.sh")
	if err := os.WriteFile(p, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const (
	haswellOK     = `{"torch": "9.9-fake", "openblas_core": "Haswell", "onednn_isa": "AVX-512 fake", "interop_threads": 1, "mm_rel_err": 3e-7, "conv_rel_err": 2e-7, "sgemm_gflops": 90, "sgemm_gflops_cpu": 95}`
	cooperlakeOK  = `{"torch": "9.9-fake", "openblas_core": "Cooperlake", "onednn_isa": "AVX-512 fake", "interop_threads": 1, "mm_rel_err": 3e-7, "conv_rel_err": 2e-7, "sgemm_gflops": 150, "sgemm_gflops_cpu": 160}`
	cooperlakeBad = `{"torch": "9.9-fake", "openblas_core": "Cooperlake", "onednn_isa": "AVX-512 fake", "interop_threads": 1, "mm_rel_err": 0.5, "conv_rel_err": 2e-7, "sgemm_gflops": 300, "sgemm_gflops_cpu": 310}`
)

// The PyTorch process runs in the environment that verified and was
// fastest, and the report names the core, the ISA and the choice; a
// faster configuration with wrong results is refused.
func TestStartBestTorch(t *testing.T) {
	environ := []string{"PATH=/usr/bin:/bin", "OPENBLAS_CORETYPE=Haswell", "OPENBLAS_L2_SIZE=512"}
	for _, c := range []struct {
		name, unsetAnswer string
		avx512            bool
		wantCore          string
		wantOverrides     bool
		wantOut           []string
	}{
		{"unset is faster and right", cooperlakeOK, true, "Cooperlake", false,
			[]string{`"overrides unset", the fastest that verified: 160 GFLOP/s against inherited 95`, "* overrides unset", "OpenBLAS core Cooperlake", "oneDNN ISA AVX-512 fake", "torch 9.9-fake"}},
		{"unset is faster and wrong", cooperlakeBad, true, "Haswell", true,
			[]string{`"inherited", the only one that verified`, "refused: torch.mm relative error 5.0e-01", "* inherited", "OpenBLAS core Haswell"}},
		{"no AVX-512: overrides kept", cooperlakeOK, false, "Haswell", true,
			[]string{`"inherited", the only configuration tried (the CPU has no AVX-512`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var b strings.Builder
			srv, env, err := startBestTorch(&b, "/bin/sh", fakeTorch(t, haswellOK, c.unsetAnswer), environ, c.avx512)
			if err != nil {
				t.Fatal(err)
			}
			defer srv.close()
			p, err := srv.probe() // the kept server is the chosen one
			if err != nil {
				t.Fatal(err)
			}
			if p.OpenBLASCore != c.wantCore {
				t.Errorf("kept server's core = %q, want %q", p.OpenBLASCore, c.wantCore)
			}
			if got := strings.Contains(strings.Join(env, " "), "OPENBLAS_CORETYPE=Haswell"); got != c.wantOverrides {
				t.Errorf("chosen environment %q: has the override %v, want %v", env, got, c.wantOverrides)
			}
			for _, want := range c.wantOut {
				if !strings.Contains(b.String(), want) {
					t.Errorf("report lacks %q:\n%s", want, b.String())
				}
			}
		})
	}
}

// A window is cut into slices and the sides take turns: PyTorch gets one
// request per thread count and slice, in turn, each for the slice's
// length; a thread count that fails is reported once, counts 0 and is not
// asked again in the round.
func TestSlicesTakeTurns(t *testing.T) {
	log := filepath.Join(t.TempDir(), "requests")
	t.Setenv("FAKE_TORCH_LOG", log)
	o := testOptions("lenet-infer")
	o.python, o.script = "/bin/sh", fakeTorch(t, haswellOK, cooperlakeOK)
	o.environ = []string{"PATH=/usr/bin:/bin", "FAKE_TORCH_LOG=" + log}
	o.duration, o.slices, o.threads = 30*time.Millisecond, 3, []int{1, 9, 2}
	var b strings.Builder
	if err := run(&b, o); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	turn := `{"seconds":0.01,"threads":1,"work":"lenet-infer"}` + "\n" + `{"seconds":0.01,"threads":2,"work":"lenet-infer"}` + "\n"
	want := `{"fresh":true,"seconds":0.01,"threads":1,"work":"lenet-infer"}` + "\n" + `{"seconds":0.01,"threads":9,"work":"lenet-infer"}` + "\n" +
		`{"seconds":0.01,"threads":2,"work":"lenet-infer"}` + "\n" + turn + turn
	if string(data) != want {
		t.Errorf("requests to PyTorch:\n%s\nwant three turns of threads 1 and 2, 10ms each, the first fresh, and 9 once (it fails):\n%s", data, want)
	}
	out := b.String()
	if n := strings.Count(out, "PyTorch lenet-infer at 9 threads: no such thread count"); n != 1 {
		t.Errorf("the failing thread count is reported %d times, want once:\n%s", n, out)
	}
	if !strings.Contains(out, "each side 30ms in 3 slices, the sides taking turns") {
		t.Errorf("the report does not say how the windows were cut:\n%s", out)
	}
}

// A side's rate is its work over its time, each summed over the slices:
// three slices of 1 example in 1, 2 and 3 seconds (2, 4 and 6 CPU-seconds)
// make 0.5 examples/s and 0.25 per CPU-second, not the mean of the
// slices' rates (0.61) nor the last slice's (0.33).
func TestSlicesSumWorkOverTime(t *testing.T) {
	environ := []string{"PATH=/usr/bin:/bin", "FAKE_TORCH_VARY=1"}
	srv, _, err := startBestTorch(io.Discard, "/bin/sh", fakeTorch(t, haswellOK, cooperlakeOK), environ, false)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.close()
	o := testOptions("lenet-infer")
	o.slices = 3
	s := &series{torch: map[int][]float64{}, torchCPU: map[int][]float64{}}
	if err := measureRound(io.Discard, s, "lenet-infer", o, srv); err != nil {
		t.Fatal(err)
	}
	if r, c := s.torch[1], s.torchCPU[1]; len(r) != 1 || math.Abs(r[0]-0.5) > 1e-12 || len(c) != 1 || math.Abs(c[0]-0.25) > 1e-12 {
		t.Errorf("PyTorch rate %v, per CPU-second %v; want [0.5], [0.25]", r, c)
	}
	if len(s.nnkit) != 1 || s.nnkit[0] <= 0 || len(s.nnkitCPU) != 1 || s.nnkitCPU[0] <= 0 {
		t.Errorf("nnkit rate %v, per CPU-second %v; want one positive figure each", s.nnkit, s.nnkitCPU)
	}
}

// With PyTorch's figures, the tables carry the ratio, its range and
// spread over the rounds and the target; with -spread, rounds are added
// up to -max-rounds and the verdict says whether the target was met.
func TestRunWithFakeTorch(t *testing.T) {
	o := testOptions("lenet-infer")
	o.python, o.script = "/bin/sh", fakeTorch(t, haswellOK, cooperlakeOK)
	o.environ = []string{"PATH=/usr/bin:/bin"}
	o.rounds, o.spread, o.maxRounds = 3, 1e-9, 4 // a target no noisy rate meets
	o.markdown = true
	var b strings.Builder
	if err := run(&b, o); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"| workload | unit | nnkit | PyTorch 1T | ratio | range | spread | target | met |",
		"| lenet-infer | examples/s |", ">= 3.0x", "Medians over 4 rounds",
		"Spread target 0.0 % on all rows' per-round ratios: NOT met; stopped at 4 rounds (-max-rounds 4): lenet-infer ",
		`"inherited", the only configuration tried (the environment sets none of OPENBLAS_CORETYPE`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
