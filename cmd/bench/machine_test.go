package main

import (
	"strings"
	"testing"
)

func TestParseCPUInfo(t *testing.T) {
	text := "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 26\nmodel\t\t: 2\nmodel name\t: AMD EPYC 9B45\nflags\t\t: fpu avx512f\n\nprocessor\t: 1\ncpu family\t: 99\nmodel\t\t: 9\nmodel name\t: other\n"
	m, f, n := parseCPUInfo(text)
	if m != "AMD EPYC 9B45" || f != "26" || n != "2" {
		t.Errorf("parseCPUInfo = %q, %q, %q; want AMD EPYC 9B45, 26, 2", m, f, n)
	}
}

func TestMachineString(t *testing.T) {
	m := machine{model: "AMD EPYC", brand: "Oxide Virtual Turin-like Processor", family: "26", modelNum: "2", cpus: 2, gomaxprocs: 2, avx512: true, goVersion: "go1.26", kernel: "6.18"}
	for _, want := range []string{"machine: AMD EPYC (CPUID: Oxide Virtual Turin-like Processor), family 26, model 2, 2 CPUs, AVX-512 yes; go1.26, GOMAXPROCS 2", "kernel 6.18"} {
		if !strings.Contains(m.String(), want) {
			t.Errorf("machine line %q lacks %q", m.String(), want)
		}
	}
	m.brand, m.avx512 = "AMD EPYC", false
	if s := m.String(); strings.Contains(s, "CPUID") || !strings.Contains(s, "AVX-512 no") {
		t.Errorf("machine line %q: want the model once and AVX-512 no", s)
	}
}
