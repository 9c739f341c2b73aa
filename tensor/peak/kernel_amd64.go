package peak

import (
	"strings"

	"golang.org/x/sys/cpu"
)

var hasAVX512 = cpu.X86.HasAVX512F

// fmaAVX512 runs n iterations of 16 independent VFMADD231PS chains on
// ZMM registers: 16 x 16 lanes x 2 = 512 FLOP per iteration. Sixteen
// chains cover a 4-cycle latency on two FMA pipes twice over.
//
//go:noescape
func fmaAVX512(n int)

// fmaAVX2 runs n iterations of 12 independent VFMADD231PS chains on YMM
// registers: 12 x 8 lanes x 2 = 192 FLOP per iteration.
//
//go:noescape
func fmaAVX2(n int)

// kernel is the widest FMA loop the CPU runs and its FLOPs per iteration.
func kernel() (fn func(int), isa string, flopsPerIter float64) {
	switch {
	case cpu.X86.HasAVX512F:
		return fmaAVX512, "AVX-512", 16 * 16 * 2
	case cpu.X86.HasAVX2 && cpu.X86.HasFMA:
		return fmaAVX2, "AVX2+FMA", 12 * 8 * 2
	}
	return nil, "", 0
}

// kernels are all the loops this CPU runs, for the tests.
func kernels() []func(int) {
	var ks []func(int)
	if cpu.X86.HasAVX512F {
		ks = append(ks, fmaAVX512)
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		ks = append(ks, fmaAVX2)
	}
	return ks
}

func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)

// CPUName is the processor's brand string from CPUID (what go test
// -bench prints as "cpu:"; a virtual machine's may differ from
// /proc/cpuinfo's model name), or "" where the CPU has none.
func CPUName() string {
	if top, _, _, _ := cpuid(0x80000000, 0); top < 0x80000004 {
		return ""
	}
	var b []byte
	for leaf := uint32(0x80000002); leaf <= 0x80000004; leaf++ {
		a, bx, c, d := cpuid(leaf, 0)
		for _, r := range []uint32{a, bx, c, d} {
			b = append(b, byte(r), byte(r>>8), byte(r>>16), byte(r>>24))
		}
	}
	return strings.TrimSpace(strings.TrimRight(string(b), "\x00"))
}
