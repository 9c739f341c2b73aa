package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// torchServer is scripts/bench_torch.py --serve: one JSON request per
// line in, one result per line out.
type torchServer struct {
	cmd     *exec.Cmd
	in      io.WriteCloser
	out     *bufio.Scanner
	version string
}

// startTorch starts the server in environment env (the whole environment
// of the Python process; nil inherits bench's).
func startTorch(python, script string, env []string) (*torchServer, error) {
	if _, err := os.Stat(python); err != nil {
		return nil, fmt.Errorf("no %s", python)
	}
	if _, err := os.Stat(script); err != nil {
		return nil, fmt.Errorf("no %s (run from the repository root)", script)
	}
	cmd := exec.Command(python, script, "--serve")
	cmd.Env = env
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	outp, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	// Without torch the script dies on its import; say so briefly instead
	// of passing the traceback on.
	errBuf := &startStderr{}
	cmd.Stderr = errBuf
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	t := &torchServer{cmd: cmd, in: in, out: bufio.NewScanner(outp)}
	var hello struct {
		Ready bool
		Torch string
	}
	if !t.out.Scan() || json.Unmarshal(t.out.Bytes(), &hello) != nil || !hello.Ready {
		cmd.Wait()
		msg := strings.TrimSpace(errBuf.kept())
		if i := strings.LastIndex(msg, "\n"); i >= 0 {
			msg = msg[i+1:]
		}
		return nil, fmt.Errorf("%s %s --serve did not start: %s", python, script, msg)
	}
	errBuf.passOn()
	t.version = "torch " + hello.Torch
	return t, nil
}

// startStderr keeps the server's standard error until it has started, to
// say in one line why it did not, and passes it on to bench's after.
type startStderr struct {
	mu      sync.Mutex
	buf     strings.Builder
	started bool
}

func (s *startStderr) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return os.Stderr.Write(p)
	}
	return s.buf.Write(p)
}

func (s *startStderr) kept() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

func (s *startStderr) passOn() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.started = true
}

// probe asks the server for its configuration, its torch.mm and conv2d
// errors against float64 and a short sgemm rate.
func (t *torchServer) probe() (probeResult, error) {
	var p probeResult
	if _, err := fmt.Fprintln(t.in, `{"probe": true}`); err != nil {
		return p, err
	}
	if !t.out.Scan() {
		return p, fmt.Errorf("no answer from bench_torch.py to the probe")
	}
	if err := json.Unmarshal(t.out.Bytes(), &p); err != nil {
		return p, fmt.Errorf("bad probe answer %q: %v", t.out.Text(), err)
	}
	if p.Error != "" {
		return p, fmt.Errorf("probe: %s", p.Error)
	}
	return p, nil
}

// measure times one slice of work at the given thread count: the
// server runs steps for at least d and answers with the work done, the
// time it took and the CPU time of the Python process (all its threads).
// With fresh, the server builds the workload anew (a round's first
// slice); otherwise it keeps the one it has for the same work.
func (t *torchServer) measure(work string, threads int, d time.Duration, fresh bool) (tally, error) {
	q := map[string]any{"work": work, "threads": threads, "seconds": d.Seconds()}
	if fresh {
		q["fresh"] = true
	}
	req, _ := json.Marshal(q)
	if _, err := fmt.Fprintf(t.in, "%s\n", req); err != nil {
		return tally{}, err
	}
	if !t.out.Scan() {
		return tally{}, fmt.Errorf("no answer from bench_torch.py")
	}
	var r struct {
		Units      float64
		Seconds    float64
		CPUSeconds float64 `json:"cpu_seconds"`
		Error      string
	}
	if err := json.Unmarshal(t.out.Bytes(), &r); err != nil {
		return tally{}, fmt.Errorf("bad answer %q: %v", t.out.Text(), err)
	}
	if r.Error != "" {
		return tally{}, fmt.Errorf("%s", r.Error)
	}
	if r.Units <= 0 || r.Seconds <= 0 {
		return tally{}, fmt.Errorf("answer without work done: %q", t.out.Text())
	}
	sec := func(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
	return tally{work: r.Units, wall: sec(r.Seconds), cpu: sec(r.CPUSeconds)}, nil
}

func (t *torchServer) close() {
	t.in.Close()
	t.cmd.Wait()
}
