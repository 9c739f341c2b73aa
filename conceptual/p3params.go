package conceptual

import (
	"fmt"
	"io"
	"strings"
)

// LayerKind is the type of a layer in an architecture description.
type LayerKind int

const (
	KindConv       LayerKind = iota // Conv2d(In, Out, Kernel x Kernel)
	KindLinear                      // Linear(In, Out)
	KindBatchNorm                   // BatchNorm2d(Out): a scale and a shift per channel
	KindPool                        // max, average or adaptive pooling: no parameters
	KindActivation                  // ReLU, sigmoid: no parameters
	KindFlatten                     // reshape: no parameters
)

// Layer describes one layer for counting. Bias is on unless NoBias is set
// ("biases are used wherever possible"); BatchNorm's running mean and
// variance are buffers, not parameters, and are not counted.
type Layer struct {
	Name   string
	Kind   LayerKind
	In     int // input channels or features (Conv, Linear)
	Out    int // output channels or features (Conv, Linear, BatchNorm)
	Kernel int // Conv: the kernel is Kernel x Kernel
	NoBias bool
	Desc   string // e.g. "MaxPool2d(2)", for parameter-free layers
}

// Conv is a Conv2d layer with a bias.
func Conv(name string, in, out, kernel int) Layer {
	return Layer{Name: name, Kind: KindConv, In: in, Out: out, Kernel: kernel}
}

// Linear is a fully connected layer with a bias.
func Linear(name string, in, out int) Layer {
	return Layer{Name: name, Kind: KindLinear, In: in, Out: out}
}

// BatchNorm is a BatchNorm2d layer over c channels.
func BatchNorm(name string, c int) Layer { return Layer{Name: name, Kind: KindBatchNorm, Out: c} }

// Pool is a pooling layer (desc says which).
func Pool(name, desc string) Layer { return Layer{Name: name, Kind: KindPool, Desc: desc} }

// Act is an activation layer.
func Act(name, desc string) Layer { return Layer{Name: name, Kind: KindActivation, Desc: desc} }

// FlattenLayer is a flatten layer.
func FlattenLayer(name string) Layer { return Layer{Name: name, Kind: KindFlatten, Desc: "Flatten"} }

// Params is the layer's number of trainable scalars:
//
//	Conv2d       Out * In * Kernel^2 (+ Out)
//	Linear       Out * In (+ Out)
//	BatchNorm2d  2 * Out (gamma and beta)
//	others       0
func (l Layer) Params() int {
	b := 1
	if l.NoBias {
		b = 0
	}
	switch l.Kind {
	case KindConv:
		return l.Out*l.In*l.Kernel*l.Kernel + b*l.Out
	case KindLinear:
		return l.Out*l.In + b*l.Out
	case KindBatchNorm:
		return 2 * l.Out
	}
	return 0
}

// Formula is the count written out, such as "6*1*5*5 + 6".
func (l Layer) Formula() string {
	bias := ""
	if !l.NoBias {
		bias = fmt.Sprintf(" + %d", l.Out)
	}
	switch l.Kind {
	case KindConv:
		return fmt.Sprintf("%d*%d*%d*%d%s", l.Out, l.In, l.Kernel, l.Kernel, bias)
	case KindLinear:
		return fmt.Sprintf("%d*%d%s", l.Out, l.In, bias)
	case KindBatchNorm:
		return fmt.Sprintf("2*%d", l.Out)
	}
	return "0"
}

// String names the layer in PyTorch's terms.
func (l Layer) String() string {
	switch l.Kind {
	case KindConv:
		return fmt.Sprintf("Conv2d(%d, %d, %dx%d)", l.In, l.Out, l.Kernel, l.Kernel)
	case KindLinear:
		return fmt.Sprintf("Linear(%d, %d)", l.In, l.Out)
	case KindBatchNorm:
		return fmt.Sprintf("BatchNorm2d(%d)", l.Out)
	}
	return l.Desc
}

// Arch is an architecture described as a list of layers. Layer names use
// dots for nesting ("b3.0.conv1"), which Table can group by.
type Arch struct {
	Name   string
	Layers []Layer
}

// Count is the total number of trainable parameters.
func (a Arch) Count() int {
	n := 0
	for _, l := range a.Layers {
		n += l.Params()
	}
	return n
}

// Table writes the per-layer breakdown as a Markdown table. With group > 0
// the layers are summed by the first group components of their names
// ("b3.0.conv1" is in group "b3" for group 1, "b3.0" for group 2); with
// group 0 every layer with parameters gets a row, and parameter-free layers
// are listed only when all is set.
func (a Arch) Table(w io.Writer, group int, all bool) {
	if group > 0 {
		fmt.Fprintf(w, "| %s | parameters |\n|---|---:|\n", "group")
		var names []string
		sums := map[string]int{}
		for _, l := range a.Layers {
			parts := strings.Split(l.Name, ".")
			g := strings.Join(parts[:min(group, len(parts))], ".")
			if _, ok := sums[g]; !ok {
				names = append(names, g)
			}
			sums[g] += l.Params()
		}
		for _, g := range names {
			fmt.Fprintf(w, "| %s | %s |\n", g, thousands(sums[g]))
		}
	} else {
		fmt.Fprintf(w, "| layer | type | count | parameters |\n|---|---|---|---:|\n")
		for _, l := range a.Layers {
			if l.Params() == 0 && !all {
				continue
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s |\n", l.Name, l, l.Formula(), thousands(l.Params()))
		}
	}
	if group > 0 {
		fmt.Fprintf(w, "| **total** | **%s** |\n", thousands(a.Count()))
	} else {
		fmt.Fprintf(w, "| **total** | | | **%s** |\n", thousands(a.Count()))
	}
}

// thousands writes n with comma separators: 61706 -> "61,706".
func thousands(n int) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
