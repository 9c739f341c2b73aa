package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"nnkit/tensor"
	"nnkit/tensor/peak"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("bench: ")
	o, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		log.Print(err)
		os.Exit(2)
	}
	tensor.SetWinogradFast(o.winogradFast)
	if o.child {
		if err := runChild(o.works[0]); err != nil {
			log.Fatal(err)
		}
		return
	}
	if err := run(os.Stdout, o); err != nil {
		log.Fatal(err)
	}
}

// options are the flags, checked.
type options struct {
	works          []string
	duration       time.Duration
	slices         int
	rounds         int
	spread         float64 // 0: no target
	maxRounds      int
	useTorch       bool
	python, script string
	threads        []int
	markdown       bool
	peakWindow     time.Duration
	child          bool
	winogradFast   bool      // tensor.SetWinogradFast: the old, faster and less accurate tiles
	environ        []string  // bench's environment, from which PyTorch's are made
	mallocKeep     bool      // PyTorch's glibc malloc keeps freed memory (withMallocKeep)
	progress       io.Writer // "round n done" lines; nil for none
}

// parseFlags parses and checks the command line; errors say which flag
// was wrong and what it wants.
func parseFlags(args []string, out io.Writer) (options, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(out)
	var o options
	work := fs.String("work", strings.Join(timedWork, ","), "comma-separated workloads: "+strings.Join(allWork(), ", "))
	fs.DurationVar(&o.duration, "duration", 4*time.Second, "length of one timed window of each side")
	fs.IntVar(&o.slices, "slices", 4, "slices per window: the sides take turns, one slice each, so that the machine's swings in speed reach them alike")
	fs.IntVar(&o.rounds, "rounds", 3, "interleaved rounds (at least); the table gives medians")
	fs.Float64Var(&o.spread, "spread", 0, "target for the ResNet rows' spread, (max-min)/median of the per-round ratios, e.g. 0.15; rounds are added until it is met or -max-rounds; 0: no target")
	fs.IntVar(&o.maxRounds, "max-rounds", 15, "most rounds when -spread is set")
	fs.BoolVar(&o.useTorch, "torch", true, "also measure PyTorch (scripts/bench_torch.py)")
	fs.StringVar(&o.python, "python", "/usr/bin/python3", "Python with torch")
	fs.StringVar(&o.script, "script", "scripts/bench_torch.py", "the PyTorch side")
	threads := fs.String("torch-threads", "1,2", "PyTorch thread counts")
	format := fs.String("format", "text", "tables as text or md (markdown)")
	fs.DurationVar(&o.peakWindow, "peak-window", 300*time.Millisecond, "length of each FMA peak measurement (one core, then all)")
	fs.BoolVar(&o.winogradFast, "winograd-fast", false, "run nnkit's 3x3 convolutions with the fewest-products Winograd tiles (tensor.SetWinogradFast), faster and 8-12 times less accurate than the default F(2x2)")
	fs.BoolVar(&o.mallocKeep, "torch-malloc-keep", true, "run PyTorch with glibc's malloc keeping freed memory for reuse ("+strings.Join(mallocKeepVars, " ")+"), as PyTorch's CPU tuning guide's advice to use a caching allocator does: ResNet-18 training about 1.4 times faster here; false: glibc's defaults")
	fs.BoolVar(&o.child, "child", false, "internal: run one workload alone and print its figures")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: go run ./cmd/bench [flags]\n\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q (bench takes flags only)", fs.Args())
	}
	o.works = strings.Split(*work, ",")
	for _, w := range o.works {
		if !slices.Contains(allWork(), w) {
			return o, fmt.Errorf("-work: unknown workload %q (want %s)", w, strings.Join(allWork(), ", "))
		}
	}
	for _, s := range strings.Split(*threads, ",") {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return o, fmt.Errorf("-torch-threads %q: want comma-separated counts of 1 or more", *threads)
		}
		o.threads = append(o.threads, n)
	}
	switch {
	case o.rounds < 1:
		return o, fmt.Errorf("-rounds %d: want 1 or more", o.rounds)
	case o.duration <= 0:
		return o, fmt.Errorf("-duration %v: want a positive duration", o.duration)
	case o.slices < 1:
		return o, fmt.Errorf("-slices %d: want 1 or more", o.slices)
	case o.peakWindow <= 0:
		return o, fmt.Errorf("-peak-window %v: want a positive duration", o.peakWindow)
	case o.spread < 0 || o.spread > 1:
		return o, fmt.Errorf("-spread %v: want a fraction from 0 to 1 (0.15 is 15 %%), 0 for no target", o.spread)
	case o.spread > 0 && o.rounds < 3:
		return o, fmt.Errorf("-spread with -rounds %d: want -rounds 3 or more (a spread over fewer rounds says little)", o.rounds)
	case o.spread > 0 && o.maxRounds < o.rounds:
		return o, fmt.Errorf("-max-rounds %d: want at least -rounds (%d)", o.maxRounds, o.rounds)
	}
	switch *format {
	case "text":
	case "md":
		o.markdown = true
	default:
		return o, fmt.Errorf("-format %q: want text or md", *format)
	}
	o.progress, o.environ = os.Stderr, os.Environ()
	return o, nil
}

func run(w io.Writer, o options) error {
	procs := runtime.GOMAXPROCS(0)
	fmt.Fprintf(w, "nnkit bench: %s, %d rounds at least; per round and workload, each side %v in %d slices, the sides taking turns\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), o.rounds, o.duration, o.slices)
	fmt.Fprintln(w, thisMachine())
	fmt.Fprintf(w, "load average at start: %s\n", loadAvg())
	if o.winogradFast {
		fmt.Fprintln(w, "nnkit's 3x3 stride-1 convolutions: Winograd's fewest-products tiles (-winograd-fast)")
	} else {
		fmt.Fprintln(w, "nnkit's 3x3 stride-1 convolutions: Winograd F(2x2, 3x3), channel sums in blocks of 64 (the default)")
	}

	var pk *peak.Peak
	if p, err := peak.Measure(procs, o.peakWindow); err != nil {
		fmt.Fprintf(w, "FMA peak: not measured (%v); no %% of peak\n", err)
	} else {
		pk = &p
		fmt.Fprintf(w, "FMA peak, float32, measured now (%s loop): 1 core %.0f GFLOP/s, %d cores %.0f GFLOP/s (per thread CPU-second; %.0f over the wall clock at this load)\n",
			p.ISA, p.PerCore, p.Threads, p.AllCores, p.Wall)
	}

	var torch *torchServer
	var torchEnv []string
	switch {
	case !o.useTorch:
		fmt.Fprintln(w, "PyTorch: not measured (-torch=false); nnkit's figures only")
	default:
		var err error
		environ := o.environ
		if o.mallocKeep {
			var note string
			environ, note = withMallocKeep(environ)
			fmt.Fprintln(w, "PyTorch allocator: "+note)
		} else {
			fmt.Fprintln(w, "PyTorch allocator: glibc's defaults (-torch-malloc-keep=false): large blocks are mapped and unmapped at each allocation")
		}
		torch, torchEnv, err = startBestTorch(w, o.python, o.script, environ, peak.HasAVX512())
		if err != nil {
			fmt.Fprintf(w, "PyTorch: not measured (%v); nnkit's figures only\n", err)
		} else {
			defer torch.close()
		}
	}

	res := map[string]*series{}
	var order, gated []string
	for _, name := range o.works {
		if _, ok := sections[name]; ok {
			continue
		}
		order = append(order, name)
		res[name] = &series{torch: map[int][]float64{}, torchCPU: map[int][]float64{}}
		if strings.HasPrefix(name, "resnet") {
			gated = append(gated, name)
		}
	}
	what := "the ResNet rows' per-round "
	if len(gated) == 0 {
		gated, what = order, "all rows' per-round "
	}
	what += map[bool]string{true: "ratios", false: "rates"}[torch != nil]
	spreads := func() map[string]float64 {
		m := map[string]float64{}
		for _, name := range gated {
			m[name] = spreadOf(res[name].values(torch != nil, false)).spread
		}
		return m
	}
	done, most := 0, o.rounds
	if o.spread > 0 {
		most = o.maxRounds
	}
	for len(order) > 0 && (done < o.rounds || needMoreRounds(o.spread, done, o.maxRounds, spreads())) {
		for _, name := range order {
			if err := measureRound(w, res[name], name, o, torch); err != nil {
				return err
			}
		}
		done++
		if o.progress != nil {
			fmt.Fprintf(o.progress, "bench: round %d done (%d at least, %d at most)\n", done, o.rounds, most)
		}
	}
	fmt.Fprintf(w, "load average at end: %s\n\n", loadAvg())

	if len(order) > 0 {
		sp := tableSpec{haveTorch: torch != nil, threads: o.threads, nnkitProc: procs, peak: pk}
		fmt.Fprintln(w, "Wall-clock rates:")
		rateTable(order, res, sp).write(w, o.markdown)
		sp.perCPU = true
		fmt.Fprintln(w, "\nRates per CPU-second of each process (all its threads), which a loaded machine disturbs less:")
		rateTable(order, res, sp).write(w, o.markdown)
		fmt.Fprintf(w, "\nMedians over %s. ", rounds(done))
		if torch != nil {
			fmt.Fprint(w, "ratio: median over the rounds of nnkit / the best PyTorch thread count in the same round; range: the lowest and highest round; ")
		} else {
			fmt.Fprint(w, "range: nnkit's lowest and highest round; ")
		}
		fmt.Fprintln(w, "spread: (highest - lowest) / median.")
		if pk != nil && slices.Contains(order, "sgemm") {
			fmt.Fprintf(w, "sgemm (%%): of the measured FMA peak of the cores each side used (nnkit %d, PyTorch its thread count); per CPU-second, of one core's.\n", procs)
		}
		fmt.Fprintln(w, spreadVerdict(o.spread, done, o.maxRounds, gated, spreads(), what))
		for _, name := range order {
			if m := res[name].mem; m != nil {
				fmt.Fprintf(w, "%s: %s per step, %d allocations per step\n", name, bytesStr(m.bytesPerOp), m.allocsPerOp)
			}
		}
	}

	for _, name := range o.works {
		if sec, ok := sections[name]; ok {
			fmt.Fprintln(w)
			if err := sec(w, sectionEnv{python: o.python, script: o.script, torchEnv: torchEnv}); err != nil {
				return err
			}
		}
	}
	return nil
}

// measureRound times one window of nnkit and one per PyTorch thread count
// for one workload. The window is cut into o.slices slices and the sides
// take turns (nnkit, PyTorch at each thread count, nnkit, ...), so that a
// swing in the machine's speed lasting a few seconds reaches every side
// of the round rather than one; each side's rate is its work over its
// time summed over its slices. Each side builds its model for the round
// (PyTorch at its first slice, "fresh", then keeps it for the others and
// both thread counts) and warms it up: two steps before its first slice,
// one before each later slice, as the other side has run in between. A
// PyTorch thread count that fails is reported, counts 0 and is not asked
// again in this round.
func measureRound(w io.Writer, s *series, name string, o options, torch *torchServer) error {
	wl := newWorkload(name)
	defer wl.close()
	wl.warm()
	slice := o.duration / time.Duration(o.slices)
	var nk tally
	tt := make([]tally, len(o.threads))
	failed := make([]error, len(o.threads))
	fresh := true
	for k := range o.slices {
		if k > 0 && torch != nil {
			wl.step()
		}
		wl.slice(slice, &nk)
		if torch == nil {
			continue
		}
		for i, th := range o.threads {
			if failed[i] != nil {
				continue
			}
			t, err := torch.measure(name, th, slice, fresh)
			fresh = false
			if err != nil {
				failed[i] = err
				continue
			}
			tt[i].add(t)
		}
	}
	v, mem := wl.stats(nk)
	s.nnkit = append(s.nnkit, v)
	s.nnkitCPU = append(s.nnkitCPU, mem.perCPU)
	if wl.isMem {
		s.mem = mem
	}
	if torch == nil {
		return nil
	}
	for i, th := range o.threads {
		var tv, tc float64
		if failed[i] != nil {
			fmt.Fprintf(w, "PyTorch %s at %d threads: %v\n", name, th, failed[i])
		} else {
			tv, tc = tt[i].rates()
		}
		s.torch[th] = append(s.torch[th], tv)
		s.torchCPU[th] = append(s.torchCPU[th], tc)
	}
	return nil
}

// startBestTorch starts one PyTorch server per candidate BLAS environment,
// probes each, reports them, keeps the chosen one and closes the others.
func startBestTorch(w io.Writer, python, script string, environ []string, hasAVX512 bool) (*torchServer, []string, error) {
	cfgs, note := blasConfigs(environ, hasAVX512)
	trials := make([]blasTrial, len(cfgs))
	servers := make([]*torchServer, len(cfgs))
	for i, c := range cfgs {
		trials[i].cfg = c
		s, err := startTorch(python, script, c.env)
		if err == nil {
			servers[i] = s
			trials[i].probe, err = s.probe()
		}
		trials[i].err = err
	}
	if !slices.ContainsFunc(trials, func(t blasTrial) bool { return t.err == nil }) {
		for _, s := range servers {
			if s != nil {
				s.close()
			}
		}
		return nil, nil, trials[0].err // no torch, no script: the same for all
	}
	chosen, verdicts, reason, err := chooseBLAS(trials, blasTolerance)
	for i, s := range servers {
		if s != nil && i != chosen {
			s.close()
		}
	}
	if err != nil {
		return nil, nil, err
	}
	reportBLAS(w, python, trials, chosen, verdicts, reason, note)
	return servers[chosen], cfgs[chosen].env, nil
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
