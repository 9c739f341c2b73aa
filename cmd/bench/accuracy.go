package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"nnkit/nn"
	"nnkit/solutions/task4"
	"nnkit/tensor"
	"nnkit/tensor/gradcheck"
)

// The "accuracy" workload measures how far float32 results are from
// float64 ones, for nnkit and for PyTorch on the same values: every
// distinct convolution of ResNet-18 at 96 x 96 (output, input gradient,
// weight gradient) and the whole model (eval-mode logits, all parameter
// gradients of a training step). The error is the relative norm
// ||x32 - x64|| / ||x64||, each library against its own float64. nnkit
// generates the inputs and weights (float32 values, so both dtypes and
// both libraries start from the same numbers), writes them to a temporary
// directory, and scripts/conv_accuracy.py computes PyTorch's side. The
// float64 results of the two libraries are compared too: they agree to
// about 1e-13 when both ran the same computation.

const (
	accBatch        = 16 // images per layer and model batch ("32 or smaller")
	accModelBatches = 3
	accErrorRatio   = 2 // the target: nnkit within 2x of PyTorch
)

// accLayer is one convolution of ResNet-18 at 96 x 96: c -> oc channels,
// k x k kernel, stride s, padding p, input h x h.
type accLayer struct {
	name              string
	c, oc, k, s, p, h int
}

var accLayers = []accLayer{
	{"stem 7x7/2 1-64 @96", 1, 64, 7, 2, 3, 96},
	{"s1 3x3 64-64 @24", 64, 64, 3, 1, 1, 24},
	{"s2 3x3/2 64-128 @24", 64, 128, 3, 2, 1, 24},
	{"s2 1x1/2 64-128 @24", 64, 128, 1, 2, 0, 24},
	{"s2 3x3 128-128 @12", 128, 128, 3, 1, 1, 12},
	{"s3 3x3/2 128-256 @12", 128, 256, 3, 2, 1, 12},
	{"s3 1x1/2 128-256 @12", 128, 256, 1, 2, 0, 12},
	{"s3 3x3 256-256 @6", 256, 256, 3, 1, 1, 6},
	{"s4 3x3/2 256-512 @6", 256, 512, 3, 2, 1, 6},
	{"s4 1x1/2 256-512 @6", 256, 512, 1, 2, 0, 6},
	{"s4 3x3 512-512 @3", 512, 512, 3, 1, 1, 3},
}

// accRow is one line of the table: nnkit's error and PyTorch's.
type accRow struct {
	item         string
	nnkit, torch float64 // relative errors; torch < 0 when not measured
	agree64      float64 // nnkit float64 vs PyTorch float64; < 0 when not measured
}

// runAccuracy measures, runs the PyTorch side with python (unless it is
// empty) and prints the table.
func runAccuracy(w io.Writer, python, script string, env []string) error {
	dir, err := os.MkdirTemp("", "nnkit-accuracy")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	var ex accExport
	rows := accLayerErrors(&ex)
	rows = append(rows, accModelErrors(&ex)...)
	if err := ex.write(dir); err != nil {
		return err
	}
	torchNote := "PyTorch: not measured (-torch=false)"
	if python != "" {
		res, version, err := runTorchAccuracy(python, script, dir, env)
		if err != nil {
			torchNote = fmt.Sprintf("PyTorch: not measured (%v)", err)
		} else {
			torchNote = "PyTorch " + version + " via " + python
			for i := range rows {
				if r, ok := res[rows[i].item]; ok {
					rows[i].torch, rows[i].agree64 = r.Err32, r.Agree64
				}
			}
		}
	}
	rows = append(rows, accMedians(rows)...)
	fmt.Fprintf(w, "Float32 accuracy: relative norm error ||x32 - x64|| / ||x64||, each library against its own float64, batch %d at 96 x 96\n", accBatch)
	fmt.Fprintln(w, torchNote)
	printAccuracy(w, rows)
	return nil
}

// accMedians are the rows of the medians over the model's batches.
func accMedians(rows []accRow) []accRow {
	var out []accRow
	for _, what := range []string{"eval logits", "gradients"} {
		var nk, tr []float64
		for _, r := range rows {
			if strings.HasPrefix(r.item, "model "+what+", batch") {
				nk = append(nk, r.nnkit)
				if r.torch >= 0 {
					tr = append(tr, r.torch)
				}
			}
		}
		m := accRow{item: "model " + what + ", median", nnkit: median(nk), torch: -1, agree64: -1}
		if len(tr) == len(nk) {
			m.torch = median(tr)
		}
		out = append(out, m)
	}
	return out
}

func printAccuracy(w io.Writer, rows []accRow) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "layer / result\tnnkit f32\tPyTorch f32\tratio\ttarget met (<= 2x)\tf64 agreement\t")
	met, measured, worst := 0, 0, 0.0
	for _, r := range rows {
		tr, ratio, ok, agree := "-", "-", "-", "-"
		if r.torch >= 0 {
			q := r.nnkit / r.torch
			tr, ratio = fmt.Sprintf("%.3g", r.torch), fmt.Sprintf("%.2f", q)
			switch {
			case strings.Contains(r.item, ", batch"):
				ok = "(median)" // one batch is one draw of the lottery
			case q <= accErrorRatio:
				ok = "yes"
				met++
			default:
				ok = "no"
			}
			if ok != "(median)" {
				measured++
				worst = max(worst, q)
			}
		}
		if r.agree64 >= 0 {
			agree = fmt.Sprintf("%.1e", r.agree64)
		}
		fmt.Fprintf(tw, "%s\t%.3g\t%s\t%s\t%s\t%s\t\n", r.item, r.nnkit, tr, ratio, ok, agree)
	}
	tw.Flush()
	if measured > 0 {
		fmt.Fprintf(w, "target met on %d of %d (the layers and the model's medians); worst ratio %.2f\n", met, measured, worst)
		fmt.Fprintln(w, "f64 agreement: nnkit's float64 against PyTorch's float64 on the same item (the same computation: about 1e-13 or less)")
		fmt.Fprintln(w, "model gradients: a batch where float32 takes another branch at a ReLU or max-pool near-tie than float64 is off by 1e-4 to 1e-2, one without by 3e-6, in either library; compare the medians")
	}
}

// accLayerErrors measures every layer of accLayers in float32 against
// float64 and records its inputs and float64 output for PyTorch.
func accLayerErrors(ex *accExport) []accRow {
	var rows []accRow
	for i, l := range accLayers {
		rng := tensor.NewRNG(uint64(100 + i))
		// The stem reads images in [0, 1); the other layers read the
		// outputs of ReLUs. Kaiming-normal weights, small biases.
		var x *tensor.Tensor
		if l.c == 1 {
			x = tensor.RandUniform(rng, tensor.Float32, 0, 1, accBatch, l.c, l.h, l.h)
		} else {
			x = tensor.Relu(tensor.RandNormal(rng, tensor.Float32, 0, 1, accBatch, l.c, l.h, l.h))
		}
		w := tensor.RandNormal(rng, tensor.Float32, 0, math.Sqrt(2/float64(l.c*l.k*l.k)), l.oc, l.c, l.k, l.k)
		b := tensor.RandUniform(rng, tensor.Float32, -0.1, 0.1, l.oc)
		oh := (l.h+2*l.p-l.k)/l.s + 1
		gy := tensor.RandNormal(rng, tensor.Float32, 0, 1, accBatch, l.oc, oh, oh)
		run := func(dt tensor.DType) [3][]float64 {
			xx, ww, bb := x.To(dt).Detach().SetRequiresGrad(true), w.To(dt).Detach().SetRequiresGrad(true), b.To(dt).Detach().SetRequiresGrad(true)
			y := tensor.Conv2d(xx, ww, bb, l.s, l.p)
			y.BackwardWith(gy.To(dt))
			return [3][]float64{y.Float64s(), xx.Grad().Float64s(), ww.Grad().Float64s()}
		}
		want, got := run(tensor.Float64), run(tensor.Float32)
		id := fmt.Sprintf("L%d", i)
		ex.layers = append(ex.layers, accSpecLayer{ID: id, Stride: l.s, Padding: l.p})
		for _, t := range []struct {
			name string
			t    *tensor.Tensor
		}{{"x", x}, {"w", w}, {"b", b}, {"gy", gy}} {
			ex.add(id+"."+t.name, t.t.Shape(), t.t.Float64s())
		}
		ex.add(id+".y64", []int{len(want[0])}, want[0])
		for j, what := range []string{"output", "input grad", "weight grad"} {
			rows = append(rows, accRow{item: l.name + " " + what, nnkit: gradcheck.RelErr(got[j], want[j]), torch: -1, agree64: -1})
			ex.items = append(ex.items, accSpecItem{Item: l.name + " " + what, Layer: id, Result: j})
		}
	}
	return rows
}

// accModelErrors measures ResNet-18 (task 4's, batches of accBatch at 96
// x 96) in float32 against float64: the logits in eval mode and the
// gradients of all parameters of a training-mode step (cross-entropy,
// mean), on accModelBatches batches. The BatchNorm running statistics are
// those of the first batch (one training-mode pass with momentum 1), so
// that eval mode normalizes as a trained network would.
//
// Several batches, because the gradients' error is a lottery: where a
// ReLU's input or two of a max-pool window's candidates are within
// float32 rounding of each other, float32 and float64 can take different
// branches, and one such flip moves a gradient by about 1e-3 of its norm
// (about one term in 1e6). A batch without a flip measures 2-3e-6. The
// median over the batches is the figure to compare.
func accModelErrors(ex *accExport) []accRow {
	nn.Seed(7)
	net32 := task4.GetResNet()
	type batch struct {
		x      *tensor.Tensor
		labels []int
	}
	batches := make([]batch, accModelBatches)
	for b := range batches {
		rng := tensor.NewRNG(uint64(8 + b))
		batches[b].x = tensor.RandUniform(rng, tensor.Float32, 0, 1, accBatch, 1, task4.Resize, task4.Resize)
		batches[b].labels = make([]int, accBatch)
		for i := range batches[b].labels {
			batches[b].labels[i] = rng.IntN(10)
		}
	}
	var bns []*nn.BatchNorm2d
	nn.Apply(net32, func(m nn.Module) {
		if bn, ok := m.(*nn.BatchNorm2d); ok {
			bns = append(bns, bn)
		}
	})
	for _, bn := range bns {
		bn.Momentum = 1
	}
	tensor.NoGrad(func() { net32.Forward(batches[0].x) })
	for _, bn := range bns {
		bn.Momentum = 0.1
	}
	net64 := task4.GetResNet()
	s32, s64 := nn.StateDict(net32), nn.StateDict(net64)
	for i := range s32 {
		s64[i].Tensor.CopyFrom(s32[i].Tensor)
	}
	nn.Cast(net64, tensor.Float64)
	for _, s := range s64 {
		ex.add("model."+s.Name, s.Tensor.Shape(), s.Tensor.Float64s())
	}
	ex.modelBatches = len(batches)
	for b, bt := range batches {
		ex.add(fmt.Sprintf("model.x.%d", b), bt.x.Shape(), bt.x.Float64s())
		lab := make([]float64, len(bt.labels))
		for i, v := range bt.labels {
			lab[i] = float64(v)
		}
		ex.add(fmt.Sprintf("model.labels.%d", b), []int{len(lab)}, lab)
	}

	// run returns the eval logits and the gradients of each batch (all
	// batches in eval mode first: a training-mode pass moves the running
	// statistics).
	run := func(net *nn.Sequential, dt tensor.DType, export bool) (logits, grads [][]float64) {
		net.SetTraining(false)
		for _, bt := range batches {
			tensor.NoGrad(func() { logits = append(logits, net.Forward(bt.x.To(dt)).Float64s()) })
		}
		net.SetTraining(true)
		for b, bt := range batches {
			for _, p := range net.Parameters() {
				p.ZeroGrad()
			}
			loss := nn.NewCrossEntropyLoss(nn.ReduceMean).Forward(net.Forward(bt.x.To(dt)), bt.labels)
			loss.Backward()
			var g []float64
			for _, p := range nn.NamedParameters(net) {
				pg := p.Tensor.Grad().Float64s()
				g = append(g, pg...)
				if export && b == 0 {
					ex.add("model.grad64."+p.Name, []int{len(pg)}, pg)
				}
			}
			grads = append(grads, g)
		}
		return logits, grads
	}
	wantL, wantG := run(net64, tensor.Float64, true)
	gotL, gotG := run(net32, tensor.Float32, false)
	var rows []accRow
	for b := range batches {
		ex.add(fmt.Sprintf("model.logits64.%d", b), []int{len(wantL[b])}, wantL[b])
		for k, what := range []string{"eval logits", "gradients"} {
			item := fmt.Sprintf("model %s, batch %d", what, b)
			ex.items = append(ex.items, accSpecItem{Item: item, Layer: "model", Result: 2*b + k})
			e := gradcheck.RelErr(gotL[b], wantL[b])
			if k == 1 {
				e = gradcheck.RelErr(gotG[b], wantG[b])
			}
			rows = append(rows, accRow{item: item, nnkit: e, torch: -1, agree64: -1})
		}
	}
	return rows
}

// accExport is what the PyTorch side reads: spec.json (the layers'
// strides and paddings and the table's items) and tensors.bin, a sequence
// of records: name length (uint32), name, rank (uint32), dimensions
// (uint64 each), the values (float64), all little-endian.
type accExport struct {
	modelBatches int
	layers       []accSpecLayer
	items        []accSpecItem
	buf          bytes.Buffer
}

type accSpecLayer struct {
	ID      string `json:"id"`
	Stride  int    `json:"stride"`
	Padding int    `json:"padding"`
}

// accSpecItem is a row of the table: result 0, 1, 2 of a layer (output,
// input gradient, weight gradient) or 2b and 2b+1 of the model (batch
// b's eval logits and gradients).
type accSpecItem struct {
	Item   string `json:"item"`
	Layer  string `json:"layer"`
	Result int    `json:"result"`
}

func (e *accExport) add(name string, shape []int, v []float64) {
	b := binary.LittleEndian.AppendUint32(nil, uint32(len(name)))
	b = append(b, name...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(shape)))
	for _, d := range shape {
		b = binary.LittleEndian.AppendUint64(b, uint64(d))
	}
	e.buf.Write(b)
	b = make([]byte, 0, 8*len(v))
	for _, f := range v {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
	}
	e.buf.Write(b)
}

func (e *accExport) write(dir string) error {
	spec, err := json.Marshal(map[string]any{"layers": e.layers, "items": e.items, "model_batches": e.modelBatches})
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "spec.json"), spec, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "tensors.bin"), e.buf.Bytes(), 0o644)
}

// accTorchResult is a line the PyTorch side prints.
type accTorchResult struct {
	Item    string  `json:"item"`
	Err32   float64 `json:"err32"`
	Agree64 float64 `json:"agree64"`
	Torch   string  `json:"torch"`
}

// runTorchAccuracy runs scripts/conv_accuracy.py on dir and returns its
// results by item, and the PyTorch version.
func runTorchAccuracy(python, script, dir string, env []string) (map[string]accTorchResult, string, error) {
	cmd := exec.Command(python, script, dir)
	cmd.Env = env // the BLAS environment the bench chose for PyTorch
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, "", fmt.Errorf("%s %s: %v: %s", python, script, err, bytes.TrimSpace(stderr.Bytes()))
	}
	res := map[string]accTorchResult{}
	version := ""
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var r accTorchResult
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, "", fmt.Errorf("%s: bad line %q: %v", script, sc.Text(), err)
		}
		if r.Torch != "" {
			version = r.Torch
			continue
		}
		res[r.Item] = r
	}
	return res, version, nil
}
