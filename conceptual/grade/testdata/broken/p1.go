package answers

func DLdS(g [][]float64) [][]float64 { return nil }

func DLdC(g, S [][]float64) [][]float64 { return undefinedName }

func DLdK(g, S, X [][]float64, k int) [][]float64 { return nil }
