package checker

import (
	"fmt"
	"nnkit/spec"
	"reflect"
	"strings"

	"nnkit/checker/wire"
	"nnkit/nn"
	"nnkit/solutions/task4"
	"nnkit/tensor"
)

// Task4Funcs are the graded functions of task 4 (nnkit/spec).
type Task4Funcs = spec.Task4

// task4Reference is the seam through which the reference solution reaches
// the rubric.
var task4Reference = &Task4Funcs{NewResidual: task4.NewResidual, GetResNet: task4.GetResNet}

// Task4 is the rubric of task 4 (10 points):
//
//	Residual/construction [2]  the layers NewResidual makes, without (1)
//	                           and with the 1x1 convolution and stride 2 (1)
//	Residual/forward [3]       (*Residual).Forward on the reference's
//	                           layers gives the reference's output in
//	                           training and evaluation mode, for a block
//	                           without (1.5) and with (1.5) the 1x1
//	                           convolution
//	GetResNet/stages [3]       b1 (1) and b2..b5 (0.5 each), each stage
//	                           checked on its own: b1 layer by layer, the
//	                           others block by block against NewResidual
//	GetResNet/head [2]         pooling, flattening and the Linear layer
//	                           (1); the Linear's parameters and the
//	                           layer count (1)
//
// Everything runs on small inputs (blocks on 6 x 6 and 7 x 7 maps, the
// network on 64 x 64 images) in well under a second.
var Task4 = register(NewTask("task4", "ResNet-18 on Fashion-MNIST", task4Reference,
	[]string{"fmt", "math", "slices", "strings", "nnkit/nn", "nnkit/spec", "nnkit/tensor"},
	ItemOf[Task4Funcs]{Name: "Residual/construction", Points: 2, Uses: []string{"NewResidual"}, Check: checkResidualConstruction},
	ItemOf[Task4Funcs]{Name: "Residual/forward", Points: 3, Uses: []string{"NewResidual"}, Methods: []string{"Residual.Forward"}, Check: checkResidualForward},
	ItemOf[Task4Funcs]{Name: "GetResNet/stages", Points: 3, Uses: []string{"GetResNet"}, Check: checkResNetStages},
	ItemOf[Task4Funcs]{Name: "GetResNet/head", Points: 2, Uses: []string{"GetResNet"}, Check: checkResNetHead},
))

// resCfg is one set of NewResidual's arguments.
type resCfg struct {
	in, out int
	use1x1  bool
	stride  int
}

func (c resCfg) String() string {
	return fmt.Sprintf("NewResidual(%d, %d, %v, %d)", c.in, c.out, c.use1x1, c.stride)
}

// ---- Residual/construction ----

func checkResidualConstruction(c *Ctx, s, ref *Task4Funcs) {
	groups := []struct {
		pts  float64
		cfgs []resCfg
	}{
		{1, []resCfg{{4, 4, false, 1}, {6, 6, false, 1}}},
		{1, []resCfg{{3, 6, true, 2}, {4, 8, true, 1}}},
	}
	for gi, g := range groups {
		for _, cfg := range g.cfgs {
			nn.Seed(1)
			m := s.NewResidual(cfg.in, cfg.out, cfg.use1x1, cfg.stride)
			if isNilModule(m) {
				if gi == 0 {
					c.LoseAll(NotDone, "not implemented: NewResidual returns nil")
					return
				}
				c.Lose(g.pts, Fail, "%s returns nil", cfg)
				break
			}
			want := ref.NewResidual(cfg.in, cfg.out, cfg.use1x1, cfg.stride)
			msg := residualDiff(m, want)
			if msg == "" {
				msg = sharedLayers(m, want)
			}
			if msg != "" {
				c.Lose(g.pts, Fail, "%s: %s", cfg, msg)
				break
			}
		}
	}
}

// childMap returns a module's named children (the given Residual's
// Children method), nil ones left out.
func childMap(m nn.Module) map[string]nn.Module {
	out := map[string]nn.Module{}
	p, ok := m.(nn.Parent)
	if !ok {
		return out
	}
	for _, ch := range p.Children() {
		if !isNilModule(ch.Module) {
			out[ch.Name] = ch.Module
		}
	}
	return out
}

// residualDiff describes the first layer of got that differs from want's,
// or returns "".
func residualDiff(got, want nn.Module) string {
	g, w := childMap(got), childMap(want)
	if _, ok := got.(nn.Parent); !ok {
		return fmt.Sprintf("it returns a %s, expected a *Residual", typeName(got))
	}
	for _, f := range [][2]string{{"conv1", "Conv1"}, {"conv2", "Conv2"}, {"conv3", "Conv3"}, {"bn1", "BN1"}, {"bn2", "BN2"}} {
		name, field := f[0], f[1]
		wl, gl := w[name], g[name]
		switch {
		case wl == nil && gl != nil:
			return fmt.Sprintf("%s is %v, expected none (the 1x1 convolution only comes with use1x1Conv)", field, gl)
		case wl != nil && gl == nil:
			if name == "conv3" {
				return fmt.Sprintf("%s is missing, expected %v for use1x1Conv", field, wl)
			}
			return fmt.Sprintf("%s is missing, expected %v", field, wl)
		case wl == nil:
			continue
		}
		if describe(gl) != describe(wl) {
			return fmt.Sprintf("%s is %s, expected %s", field, describe(gl), describe(wl))
		}
	}
	return ""
}

// sharedLayers describes two children of m that are one object, or the
// parameter count when it differs from want's, or returns "": one
// BatchNorm used twice prints right but has half the parameters and one
// set of statistics.
func sharedLayers(m, want nn.Module) string {
	p, ok := m.(nn.Parent)
	if !ok {
		return ""
	}
	// Distinct objects: one BatchNorm used twice has the right
	// description but half the parameters and one set of statistics.
	seen := map[nn.Module]string{}
	for _, ch := range p.Children() {
		if isNilModule(ch.Module) || reflect.TypeOf(ch.Module).Kind() != reflect.Pointer {
			continue
		}
		if first, ok := seen[ch.Module]; ok {
			return fmt.Sprintf("%s and %s are one object: create each layer with its own constructor call (they need their own parameters and statistics)", first, ch.Name)
		}
		seen[ch.Module] = ch.Name
	}
	if n, w := nn.CountParameters(m), nn.CountParameters(want); n != w {
		return fmt.Sprintf("%d parameters, expected %d", n, w)
	}
	return ""
}

// typeName is m's Go type, as the student's code names it (a module of
// the student's own type lives in the student process).
func typeName(m nn.Module) string {
	if r := wire.AsRemote(m); r != nil {
		return studentText(r.TypeName, 200, false)
	}
	return fmt.Sprintf("%T", m)
}

func describe(m nn.Module) string {
	if s, ok := m.(fmt.Stringer); ok {
		return studentText(s.String(), 200, false)
	}
	return studentText(m.Name(), 200, false)
}

// ---- Residual/forward ----

// resLayers are the five layers of a reference block.
type resLayers struct {
	c1, c2, c3 *nn.Conv2d
	b1, b2     *nn.BatchNorm2d
}

// refResidual builds the reference block for cfg from seed, with random
// BatchNorm weights and running statistics so that both modes and the
// place of every BatchNorm show in the output. The same seed gives the
// same layers, as new tensors.
func refResidual(cfg resCfg, seed uint64) resLayers {
	nn.Seed(seed)
	r := task4Reference.NewResidual(cfg.in, cfg.out, cfg.use1x1, cfg.stride).(*task4.Residual)
	rng := tensor.NewRNG(seed)
	for _, b := range []*nn.BatchNorm2d{r.BN1, r.BN2} {
		b.Weight.UniformFill(rng, 0.5, 1.5)
		b.Bias.UniformFill(rng, -0.5, 0.5)
		b.RunningMean.UniformFill(rng, -0.3, 0.3)
		b.RunningVar.UniformFill(rng, 0.5, 2)
	}
	return resLayers{r.Conv1, r.Conv2, r.Conv3, r.BN1, r.BN2}
}

// install builds a block of the student's Residual type (the type of m)
// holding the given layers, so that Forward is graded on the reference's
// layers whatever NewResidual made.
func install(c *Ctx, m nn.Module, l resLayers) (nn.Module, error) {
	if c.install != nil {
		return c.install(m, []string{"Conv1", "Conv2", "Conv3", "BN1", "BN2"}, []nn.Module{l.c1, l.c2, l.c3, l.b1, l.b2})
	}
	v := reflect.ValueOf(m)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return nil, fmt.Errorf("NewResidual returns a %T, expected a *Residual", m)
	}
	nv := reflect.New(v.Elem().Type())
	for _, f := range []struct {
		name string
		val  any
	}{{"Conv1", l.c1}, {"Conv2", l.c2}, {"Conv3", l.c3}, {"BN1", l.b1}, {"BN2", l.b2}} {
		fv := nv.Elem().FieldByName(f.name)
		rv := reflect.ValueOf(f.val)
		if !fv.IsValid() || !fv.CanSet() || !rv.Type().AssignableTo(fv.Type()) {
			return nil, fmt.Errorf("the Residual struct has no field %s of type %v: keep the given struct", f.name, rv.Type())
		}
		fv.Set(rv)
	}
	out, ok := nv.Interface().(nn.Module)
	if !ok {
		return nil, fmt.Errorf("a *Residual is not an nn.Module: keep the given methods")
	}
	return out, nil
}

// refForward is the reference block's computation with one mistake put
// in (none for the empty name), for recognising what a student did.
func refForward(l resLayers, x *tensor.Tensor, mistake string) *tensor.Tensor {
	y := l.c1.Forward(x)
	if mistake != "bn swapped" {
		y = l.b1.Forward(y)
	} else {
		y = l.b2.Forward(y)
	}
	if mistake != "no relu after bn1" {
		y = tensor.Relu(y)
	}
	y = l.c2.Forward(y)
	switch mistake {
	case "bn swapped":
		y = l.b1.Forward(y)
	case "bn2 after add":
	default:
		y = l.b2.Forward(y)
	}
	if mistake == "relu before add" {
		y = tensor.Relu(y)
	}
	if l.c3 != nil && mistake != "no conv3" {
		x = l.c3.Forward(x)
	}
	y = tensor.Add(y, x)
	if mistake == "bn2 after add" {
		y = l.b2.Forward(y)
	}
	if mistake != "no final relu" && mistake != "relu before add" {
		y = tensor.Relu(y)
	}
	return y
}

var forwardMistakes = []struct{ name, hint string }{
	{"bn2 after add", "your output is relu(BN2(Conv2(Y) + X)): apply BN2 to Conv2(Y) before adding the shortcut"},
	{"no final relu", "your output is BN2(Conv2(Y)) + X: apply relu to the sum"},
	{"relu before add", "your output is relu(BN2(Conv2(Y))) + X: add the shortcut first, then apply relu"},
	{"no relu after bn1", "your first half is BN1(Conv1(X)) without relu: Y = relu(BN1(Conv1(X)))"},
	{"bn swapped", "BN1 and BN2 are swapped: BN1 follows Conv1, BN2 follows Conv2"},
	{"no conv3", "the shortcut skips Conv3: X = Conv3(X) when Conv3 is not nil"},
}

func checkResidualForward(c *Ctx, s, _ *Task4Funcs) {
	cases := []struct {
		cfg resCfg
		x   []int
		pts float64
	}{
		{resCfg{4, 4, false, 1}, []int{2, 4, 6, 6}, 1.5},
		{resCfg{3, 6, true, 2}, []int{2, 3, 7, 7}, 1.5},
	}
	for ci, tc := range cases {
		nn.Seed(2)
		m := s.NewResidual(tc.cfg.in, tc.cfg.out, tc.cfg.use1x1, tc.cfg.stride)
		if isNilModule(m) {
			c.LoseAll(NotDone, "not implemented: NewResidual returns nil, and Forward is checked on the blocks it makes")
			return
		}
		seed := seedOf(7)
		stu, err := install(c, m, refResidual(tc.cfg, seed))
		if err != nil {
			c.LoseAll(Fail, "%v", err)
			return
		}
		ref := refResidual(tc.cfg, seed)
		x := tensor.RandNormal(tensor.NewRNG(seedOf(uint64(11+ci))), tensor.Float32, 0, 1, tc.x...)
		where := fmt.Sprintf("a block like %s on a random %v input", tc.cfg, tc.x)
		if msg := compareForward(stu, ref, x, tc.cfg); msg != "" {
			if strings.HasPrefix(msg, "not implemented") && ci == 0 {
				c.LoseAll(NotDone, "%s", msg)
				return
			}
			c.Lose(tc.pts, Fail, "%s: %s", where, msg)
		}
	}
}

// compareForward runs the student's block and the reference layers in
// training mode, then in evaluation mode, and describes the first
// difference, or returns "".
func compareForward(stu nn.Module, ref resLayers, x *tensor.Tensor, cfg resCfg) string {
	for _, training := range []bool{true, false} {
		mode := "in training mode"
		if !training {
			mode = "in evaluation mode"
		}
		stu.SetTraining(training)
		for _, l := range []nn.Module{ref.c1, ref.c2, ref.b1, ref.b2} {
			l.SetTraining(training)
		}
		var got *tensor.Tensor
		if err := protect(func() { got = stu.Forward(x) }); err != nil {
			return fmt.Sprintf("Forward %s: %v", mode, err)
		}
		if got == nil {
			return "not implemented: Forward returns nil"
		}
		want := refForward(ref, x, "")
		if m := diffTensor("output", want, got, tensorTol); m != nil {
			return fmt.Sprintf("%s, %s%s", mode, m.reason, diagnoseForward(got, x, cfg, training))
		}
		if training {
			sl := childMap(stu)
			for _, b := range []struct {
				name      string
				stu, want *nn.BatchNorm2d
			}{{"bn1", asBN(sl["bn1"]), ref.b1}, {"bn2", asBN(sl["bn2"]), ref.b2}} {
				if b.stu == nil {
					continue
				}
				if m := diffTensor(b.name+".RunningMean", b.want.RunningMean, b.stu.RunningMean, tensorTol); m != nil {
					return fmt.Sprintf("the output is right but after one training step %s: is a BatchNorm applied twice, or to the wrong input?", m.reason)
				}
			}
		}
	}
	return ""
}

func asBN(m nn.Module) *nn.BatchNorm2d {
	b, _ := m.(*nn.BatchNorm2d)
	return b
}

// diagnoseForward recomputes the block with each known mistake and names
// the one the student's output reproduces.
func diagnoseForward(got, x *tensor.Tensor, cfg resCfg, training bool) string {
	for _, mk := range forwardMistakes {
		if mk.name == "no conv3" && (!cfg.use1x1 || cfg.stride != 1 || cfg.in != cfg.out) {
			continue // the sum would not even have matching shapes
		}
		l := refResidual(cfg, 7)
		for _, m := range []nn.Module{l.c1, l.c2, l.b1, l.b2} {
			m.SetTraining(training)
		}
		var want *tensor.Tensor
		if protect(func() { want = refForward(l, x, mk.name) }) != nil {
			continue
		}
		if diffTensor("output", want, got, tensorTol) == nil {
			return ": " + mk.hint
		}
	}
	return ""
}

// ---- GetResNet ----

// resnetSide is the image size the network checks use: every stage still
// has at least 2 x 2 maps, at a fiftieth of the work of 224 x 224.
const resnetSide = 64

// buildResNet calls GetResNet, turning a panic into a reason; a nil
// network or a panic caused by an unfinished NewResidual is "not
// implemented".
func buildResNet(c *Ctx, s *Task4Funcs) *nn.Sequential {
	nn.Seed(4)
	var net *nn.Sequential
	err := protect(func() { net = s.GetResNet() })
	residualMissing := s.NewResidual != nil && isNilModule(s.NewResidual(4, 4, false, 1))
	switch {
	case err != nil && residualMissing:
		c.LoseAll(NotDone, "not implemented: GetResNet cannot be built while NewResidual returns nil (%v)", err)
	case err != nil:
		c.LoseAll(Panicked, "GetResNet %v", err)
	case net == nil:
		c.LoseAll(NotDone, "not implemented: GetResNet returns nil")
	case len(net.Layers) == 0:
		c.LoseAll(NotDone, "not implemented: GetResNet returns an empty Sequential")
	default:
		return net
	}
	return nil
}

// stageInputs are the input shapes of b1..b5 and of the head for a
// resnetSide image.
func stageInputs() [][]int {
	s := resnetSide
	return [][]int{{1, 1, s, s}, {1, 64, s / 4, s / 4}, {1, 64, s / 4, s / 4}, {1, 128, s / 8, s / 8}, {1, 256, s / 16, s / 16}, {1, 512, s / 32, s / 32}}
}

// stageBlocks are the NewResidual arguments of the blocks of b2..b5.
var stageBlocks = [4][2]resCfg{
	{{64, 64, false, 1}, {64, 64, false, 1}},
	{{64, 128, true, 2}, {128, 128, false, 1}},
	{{128, 256, true, 2}, {256, 256, false, 1}},
	{{256, 512, true, 2}, {512, 512, false, 1}},
}

// checkResNetStages: b1 (1 point) is run layer by layer on its input;
// b2..b5 (0.5 each) must hold two blocks made by NewResidual with the
// right arguments. A block is compared with what the student's own
// NewResidual makes for those arguments (or the reference's), so that a
// mistake inside NewResidual or Forward costs the Residual items only.
func checkResNetStages(c *Ctx, s, ref *Task4Funcs) {
	net := buildResNet(c, s)
	if net == nil {
		return
	}
	nn.Seed(4)
	refNet := ref.GetResNet()
	in := stageInputs()
	for k := range 5 {
		pts := 0.5
		if k == 0 {
			pts = 1
		}
		name := fmt.Sprintf("b%d", k+1)
		if k >= len(net.Layers) {
			c.Lose(pts, Fail, "%s is missing: the network has %d layers, expected b1..b5 and the head (8)", name, len(net.Layers))
			continue
		}
		stage, ok := net.Layers[k].(*nn.Sequential)
		if !ok {
			c.Lose(pts, Fail, "%s (layer %d) is a %s, expected a Sequential", name, k, safeName(net.Layers[k]))
			continue
		}
		if k == 0 {
			want := walkLayers(refNet.Layers[0].(*nn.Sequential).Layers, in[0]...)
			got := walkLayers(stage.Layers, in[0]...)
			c.Detailf("b1 on %v:\n%s", in[0], layerTable(want, got))
			kinds, shapes, params := compareLayers(want, got, "b1 layer")
			for _, msg := range []string{kinds, shapes, params} {
				if msg != "" {
					c.Lose(pts, Fail, "%s", msg)
					break
				}
			}
			continue
		}
		if msg := stageDiff(name, stage, stageBlocks[k-1], s, ref); msg != "" {
			c.Lose(pts, Fail, "%s", msg)
		}
	}
}

// stageDiff describes the first block of a stage that is not the
// expected NewResidual, or returns "".
func stageDiff(name string, stage *nn.Sequential, args [2]resCfg, s, ref *Task4Funcs) string {
	got := make([]layerRun, len(stage.Layers))
	for i, l := range stage.Layers {
		got[i] = layerRun{name: safeName(l)}
	}
	if msg := kindDiff(alignLayers([]string{"Residual", "Residual"}, namesOf(got)), []string{"Residual", "Residual"}, got, name+" layer"); msg != "" {
		return msg + " (a stage is two Residual blocks: resnetBlock makes it)"
	}
	for j, cfg := range args {
		blk := stage.Layers[j]
		var mine, other nn.Module
		// A block like the one the student's own NewResidual makes for
		// cfg is right, so that a mistake inside NewResidual costs the
		// Residual items only; but only when that NewResidual tells cfg
		// from other arguments, else the comparison would say nothing of
		// the arguments GetResNet passed.
		contrast := resCfg{cfg.in, 2 * cfg.out, true, 2}
		nn.Seed(1)
		ok := protect(func() {
			mine = s.NewResidual(cfg.in, cfg.out, cfg.use1x1, cfg.stride)
			other = s.NewResidual(contrast.in, contrast.out, contrast.use1x1, contrast.stride)
		}) == nil && !isNilModule(mine)
		blind := ok && !isNilModule(other) && residualDiff(other, mine) == ""
		if ok && !blind && residualDiff(blk, mine) == "" {
			continue
		}
		want := ref.NewResidual(cfg.in, cfg.out, cfg.use1x1, cfg.stride)
		if msg := residualDiff(blk, want); msg != "" {
			if blind {
				msg += fmt.Sprintf(" (your NewResidual makes the same block for %s and %s, so the stage is compared with the expected block: fix NewResidual first)", cfg, contrast)
			}
			return fmt.Sprintf("%s block %d should be %s: %s", name, j, cfg, msg)
		}
	}
	return ""
}

func namesOf(rs []layerRun) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.name
	}
	return out
}

func checkResNetHead(c *Ctx, s, ref *Task4Funcs) {
	net := buildResNet(c, s)
	if net == nil {
		return
	}
	nn.Seed(4)
	refNet := ref.GetResNet()
	const first = 5 // the head starts after b1..b5
	if len(net.Layers) <= first {
		c.LoseAll(Fail, "the head is missing: the network has %d layers, expected b1..b5 then AdaptiveAvgPool2d, Flatten and Linear (8)", len(net.Layers))
		return
	}
	in := stageInputs()[first]
	want := walkLayers(refNet.Layers[first:], in...)
	got := walkLayers(net.Layers[first:], in...)
	c.Detailf("the head on %v:\n%s", in, layerTable(want, got))
	kinds, shapes, params := compareLayers(want, got, "head layer")
	if kinds != "" || shapes != "" {
		msg := kinds
		if msg == "" {
			msg = shapes
		}
		c.Lose(1, Fail, "%s (the head layers are numbered from 0 after b5)", msg)
	}
	switch {
	case params != "":
		c.Lose(1, Fail, "%s", params)
	case len(net.Layers) != len(refNet.Layers):
		c.Lose(1, Fail, "the network has %d top-level layers, expected 8 (b1..b5, AdaptiveAvgPool2d, Flatten, Linear)", len(net.Layers))
	}
}
