package main

import (
	"fmt"
	"os"
	"runtime"
	"strings"

	"nnkit/tensor/peak"
)

// machine is what a figure was measured on.
type machine struct {
	model, family, modelNum string // from /proc/cpuinfo
	brand                   string // CPUID's brand string
	cpus, gomaxprocs        int
	avx512                  bool
	goVersion, kernel       string
}

func thisMachine() machine {
	m := machine{cpus: runtime.NumCPU(), gomaxprocs: runtime.GOMAXPROCS(0), avx512: peak.HasAVX512(), goVersion: runtime.Version(), brand: peak.CPUName()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		m.model, m.family, m.modelNum = parseCPUInfo(string(b))
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.kernel = strings.TrimSpace(string(b))
	}
	return m
}

// parseCPUInfo returns the first processor's model name, family and model
// from /proc/cpuinfo's text.
func parseCPUInfo(text string) (model, family, modelNum string) {
	for line := range strings.Lines(text) {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch {
		case k == "model name" && model == "":
			model = v
		case k == "cpu family" && family == "":
			family = v
		case k == "model" && modelNum == "":
			modelNum = v
		}
	}
	return model, family, modelNum
}

func (m machine) String() string {
	yes := map[bool]string{true: "yes", false: "no"}[m.avx512]
	model := orUnknown(m.model)
	if m.brand != "" && m.brand != m.model {
		model += " (CPUID: " + m.brand + ")"
	}
	return fmt.Sprintf("machine: %s, family %s, model %s, %d CPUs, AVX-512 %s; %s, GOMAXPROCS %d, %s/%s, kernel %s",
		model, orUnknown(m.family), orUnknown(m.modelNum), m.cpus, yes, m.goVersion, m.gomaxprocs, runtime.GOOS, runtime.GOARCH, orUnknown(m.kernel))
}
