package peak

import (
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestFor(t *testing.T) {
	p := Peak{PerCore: 100, AllCores: 190, Threads: 2}
	for _, c := range []struct {
		threads int
		want    float64
	}{{1, 100}, {2, 190}, {4, 190}} {
		if got := p.For(c.threads); got != c.want {
			t.Errorf("For(%d) = %v, want %v", c.threads, got, c.want)
		}
	}
}

// The loop runs and its rates are consistent: positive, a sum of per-
// thread rates for AllCores, and the ISA the CPU has.
func TestMeasure(t *testing.T) {
	p, err := Measure(2, 20*time.Millisecond)
	if runtime.GOARCH != "amd64" {
		if !errors.Is(err, ErrNoKernel) {
			t.Fatalf("Measure on %s: err = %v, want ErrNoKernel", runtime.GOARCH, err)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if p.PerCore <= 0 || p.AllCores <= 0 || p.Wall <= 0 || p.Threads != 2 {
		t.Errorf("Measure(2) = %+v, want positive rates on 2 threads", p)
	}
	if want := map[bool]string{true: "AVX-512", false: "AVX2+FMA"}[HasAVX512()]; p.ISA != want {
		t.Errorf("ISA = %q, want %q (HasAVX512 %v)", p.ISA, want, HasAVX512())
	}
}

// Every loop the CPU supports returns for zero, one and many
// iterations (n is a loop bound, not a fault); Measure's own test covers
// only the widest.
func TestKernelsRun(t *testing.T) {
	ran := 0
	for _, k := range kernels() {
		for _, n := range []int{0, 1, 1000} {
			k(n)
		}
		ran++
	}
	if fn, _, _ := kernel(); fn != nil && ran == 0 {
		t.Errorf("kernel() has a loop but kernels() lists none")
	}
}

// On amd64 the brand string is printable text without padding.
func TestCPUName(t *testing.T) {
	name := CPUName()
	if runtime.GOARCH != "amd64" {
		if name != "" {
			t.Errorf("CPUName on %s = %q, want \"\"", runtime.GOARCH, name)
		}
		return
	}
	if name == "" || strings.TrimSpace(name) != name {
		t.Errorf("CPUName() = %q, want a trimmed, non-empty brand string", name)
	}
	for _, r := range name {
		if r < 0x20 || r > 0x7e {
			t.Errorf("CPUName() = %q has the non-printable %q", name, r)
		}
	}
	t.Logf("CPUName() = %q", name)
}
