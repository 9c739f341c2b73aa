package answers

import "os"

// DLdS exits the process: only its own item may fail.
func DLdS(g [][]float64) [][]float64 { os.Exit(3); return nil }

func DLdC(g, S [][]float64) [][]float64 { panic("oops") }

func DLdK(g, S, X [][]float64, k int) [][]float64 {
	for {
	}
}
