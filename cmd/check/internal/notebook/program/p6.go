package program

import (
	"fmt"
	"math"

	"nnkit/charts"
	"nnkit/cmd/check/internal/notebook"
	"nnkit/conceptual"
)

// P6 settings: the radii and lags of docs/conceptual/p6-rnn-gradients.md,
// every lag from 1 to 50.
var p6Radii = []float64{0.5, 1, 2, 4, 8, 16}

const p6Seed, p6MaxLag = 6, 50

// P6 plots conceptual problem 6: the norm of dh_T/dh_{T-lag} against the
// lag, for W^h of several spectral radii, along a run with random inputs
// and with every sigma' at its largest (1/4).
func P6(nb *Notebook) error {
	var lags []int
	for l := 1; l <= p6MaxLag; l++ {
		lags = append(lags, l)
	}
	rows := conceptual.RNNNormTable(p6Seed, p6Radii, lags)
	x := make([]float64, len(lags))
	for i, l := range lags {
		x[i] = float64(l)
	}
	pos := func(v []float64) []float64 { // a log axis needs positive values
		out := make([]float64, len(v))
		for i, f := range v {
			out[i] = math.Max(f, 1e-300)
		}
		return out
	}
	var traj, lin []charts.Series
	for _, r := range rows {
		name := fmt.Sprintf("ρ = %g", r.Rho)
		traj = append(traj, charts.Series{Name: name, X: x, Y: pos(r.Trajectory)})
		lin = append(lin, charts.Series{Name: name, X: x, Y: pos(r.Linear)})
	}
	nb.Printf("conceptual problem 6: the gradient norm of h_T with respect to h_(T-k), of a sigmoid RNN (16 units), against the lag k\n")
	for _, f := range []struct {
		name, title string
		s           []charts.Series
	}{
		{"p6-gradient-norms", "‖∂h(T) / ∂h(T−k)‖ along a run of a sigmoid RNN", traj},
		{"p6-gradient-norms-steepest", "‖(W_h / 4)^k‖: every σ′ at its largest, 1/4", lin},
	} {
		for _, ext := range []string{".png", ".svg"} {
			path := nb.Path(f.name + ext)
			if err := charts.Lines(path, f.title, "lag k (steps back from T)", "norm", true, f.s...); err != nil {
				return fmt.Errorf("%w: %v", notebook.ErrSetup, err)
			}
			nb.Wrote(path)
		}
	}
	nb.Printf("the norms fall (vanish) or grow (explode) geometrically in the lag: docs/conceptual/p6-rnn-gradients.md says why\n")
	return nil
}
