package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("bench: ")
	var (
		work     = flag.String("work", strings.Join(defaultWork, ","), "comma-separated workloads: "+strings.Join(allWork, ", "))
		duration = flag.Duration("duration", 2*time.Second, "length of one timed window")
		rounds   = flag.Int("rounds", 3, "interleaved rounds; the table gives medians")
		useTorch = flag.Bool("torch", true, "also measure PyTorch (scripts/bench_torch.py)")
		python   = flag.String("python", "/usr/bin/python3", "Python with torch")
		script   = flag.String("script", "scripts/bench_torch.py", "the PyTorch side")
		threads  = flag.String("torch-threads", "1,2", "PyTorch thread counts")
		child    = flag.Bool("child", false, "internal: run one workload alone and print its figures")
	)
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: go run ./cmd/bench [flags]\n\nflags:")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 0 || *rounds < 1 || *duration <= 0 {
		flag.Usage()
		os.Exit(2)
	}
	works := strings.Split(*work, ",")
	for _, w := range works {
		if !slices.Contains(allWork, w) {
			log.Printf("unknown workload %q (want %s)", w, strings.Join(allWork, ", "))
			os.Exit(2)
		}
	}
	var ths []int
	for _, s := range strings.Split(*threads, ",") {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			log.Printf("bad -torch-threads %q", *threads)
			os.Exit(2)
		}
		ths = append(ths, n)
	}
	if *child {
		if err := runChild(works[0]); err != nil {
			log.Fatal(err)
		}
		return
	}
	if err := run(os.Stdout, works, *duration, *rounds, *useTorch, *python, *script, ths); err != nil {
		log.Fatal(err)
	}
}

var (
	allWork     = []string{"lenet-train", "lenet-infer", "resnet-train", "resnet-infer", "sgemm", "lenet-epoch"}
	defaultWork = allWork[:5]
	// targets are the goals: nnkit / best PyTorch.
	targets = map[string]float64{"lenet-train": 1.5, "lenet-infer": 1.5, "resnet-train": 1.0}
)

func run(w io.Writer, works []string, d time.Duration, rounds int, useTorch bool, python, script string, ths []int) error {
	fmt.Fprintf(w, "nnkit bench: %s, GOMAXPROCS %d, %s/%s, %d rounds of %v windows\n",
		time.Now().Format("2006-01-02 15:04"), runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH, rounds, d)
	fmt.Fprintf(w, "load average at start: %s\n", loadAvg())
	var torch *torchServer
	if useTorch {
		var err error
		torch, err = startTorch(python, script)
		if err != nil {
			fmt.Fprintf(w, "PyTorch: not measured (%v); nnkit's figures only\n", err)
			torch = nil
		} else {
			defer torch.close()
			fmt.Fprintf(w, "PyTorch: %s via %s, threads %v\n", torch.version, python, ths)
		}
	} else {
		fmt.Fprintln(w, "PyTorch: not measured (-torch=false); nnkit's figures only")
	}

	res := map[string]*result{}
	var order []string
	for _, name := range works {
		switch name {
		case "lenet-epoch":
			continue
		}
		order = append(order, name)
		res[name] = &result{torch: map[int][]float64{}, torchCPU: map[int][]float64{}}
	}
	for r := range rounds {
		for _, name := range order {
			wl := newWorkload(name)
			v, mem := wl.measure(d)
			res[name].nnkit = append(res[name].nnkit, v)
			res[name].nnkitCPU = append(res[name].nnkitCPU, mem.perCPU)
			if wl.isMem && (res[name].mem == nil || r == rounds-1) {
				res[name].mem = mem
			}
			wl.close()
			if torch == nil {
				continue
			}
			for _, th := range ths {
				tv, tc, err := torch.measure(name, th, d)
				if err != nil {
					fmt.Fprintf(w, "PyTorch %s at %d threads: %v\n", name, th, err)
					continue
				}
				res[name].torch[th] = append(res[name].torch[th], tv)
				res[name].torchCPU[th] = append(res[name].torchCPU[th], tc)
			}
		}
		fmt.Fprintf(os.Stderr, "bench: round %d of %d done\n", r+1, rounds)
	}
	fmt.Fprintf(w, "load average at end: %s\n\n", loadAvg())
	fmt.Fprintln(w, "Wall-clock rates:")
	printTable(w, order, res, torch != nil, ths, false)
	fmt.Fprintln(w, "\nRates per CPU-second of each process (all its threads), which a loaded machine disturbs less:")
	printTable(w, order, res, torch != nil, ths, true)
	for _, name := range order {
		if m := res[name].mem; m != nil {
			fmt.Fprintf(w, "%s: %s per step, %d allocations per step\n", name, bytesStr(m.bytesPerOp), m.allocsPerOp)
		}
	}

	if slices.Contains(works, "lenet-epoch") {
		fmt.Fprintln(w)
		if err := lenetEpochChild(w); err != nil {
			return err
		}
	}
	return nil
}

type result struct {
	nnkit, nnkitCPU []float64
	torch, torchCPU map[int][]float64 // by thread count
	mem             *memStats
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func printTable(w io.Writer, order []string, res map[string]*result, haveTorch bool, ths []int, perCPU bool) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	head := "workload\tunit\tnnkit"
	if haveTorch {
		for _, th := range ths {
			head += fmt.Sprintf("\tPyTorch %dT", th)
		}
		head += "\tratio\ttarget\t"
	}
	fmt.Fprintln(tw, head+"\t")
	for _, name := range order {
		nk, tr := res[name].nnkit, res[name].torch
		if perCPU {
			nk, tr = res[name].nnkitCPU, res[name].torchCPU
		}
		unit := "examples/s"
		if name == "sgemm" {
			unit = "GFLOP/s"
		}
		if perCPU {
			unit = strings.Replace(unit, "/s", "/cpu-s", 1)
		}
		line := fmt.Sprintf("%s\t%s\t%s", name, unit, num(median(nk)))
		if haveTorch {
			best := 0.0
			for _, th := range ths {
				m := median(tr[th])
				best = max(best, m)
				line += "\t" + num(m)
			}
			ratio, target := "-", "-"
			if best > 0 {
				ratio = fmt.Sprintf("%.2fx", median(nk)/best)
			}
			if t, ok := targets[name]; ok {
				target = fmt.Sprintf(">= %.1fx", t)
			}
			line += "\t" + ratio + "\t" + target + "\t"
		}
		fmt.Fprintln(tw, line+"\t")
	}
	tw.Flush()
	fmt.Fprintln(w, "(medians over the rounds; ratio = nnkit / best PyTorch thread count)")
}

func num(v float64) string {
	switch {
	case v == 0:
		return "-"
	case v >= 1000:
		s := strconv.FormatFloat(v, 'f', 0, 64)
		for i := len(s) - 3; i > 0; i -= 3 {
			s = s[:i] + "," + s[i:]
		}
		return s
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	default:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
}

func bytesStr(b float64) string {
	switch {
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", b/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.1f KiB", b/(1<<10))
	}
	return fmt.Sprintf("%.0f B", b)
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

// lenetEpochChild runs the lenet-epoch workload in a child process, so
// that its peak resident memory is its own.
func lenetEpochChild(w io.Writer) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command(exe, "-child", "-work", "lenet-epoch")
	cmd.Stdout, cmd.Stderr = w, os.Stderr
	return cmd.Run()
}
