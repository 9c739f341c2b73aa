// Package answers holds your answers to the six conceptual problems of the
// assignment (section 3). Edit the files of this folder and run
//
//	check ./conceptual/answers
//
// to see the rubric table (go test ./conceptual/answers -v prints it too).
//
//	p1.go        problem 1: fill in DLdS, DLdC and DLdK below   8 points, auto-graded
//	p2.md        problems 2.1 and 2.2, in prose                  3 + 3 points, graded by hand
//	answers.txt  problems 3 and 5, as numbers                    6 and 7 points, auto-graded
//	p4.md        problem 4, the proof                            8 points, graded by hand
//	p6.md        problem 6, in prose                             5 points, graded by hand
//
// Problem 1. A building block is a convolution with kernel K (k x k, stride
// 1, no padding), a sigmoid s = 1/(1 + e^-c), and a 2x2 average pooling
// (stride 2). Its input X is (2n+k-1) x (2m+k-1), the convolution output C
// and the sigmoid output S are 2n x 2m, and the block output P is n x m.
// The convolution is a cross-correlation, as in every framework:
//
//	c_{d,e} = sum over a, b = 1..k of k_{a,b} x_{d+a-1, e+b-1}
//
// Given g = dL/dP, S and X, write dL/dS, dL/dC and dL/dK. Matrices are
// [][]float64, row by row, indexed from 0: the text's x_{a,b} is
// X[a-1][b-1]. Return new matrices and leave the arguments unchanged; a nil
// result counts as "not answered yet". Each function is checked on fixed
// and random n, m, k, within 1e-9 + 1e-7 |expected| per entry.
package answers

// DLdS returns dL/dS, a 2n x 2m matrix, from g = dL/dP (n x m).
func DLdS(g [][]float64) [][]float64 {
	// TODO
	return nil
}

// DLdC returns dL/dC, a 2n x 2m matrix, from g (n x m) and S (2n x 2m).
func DLdC(g, S [][]float64) [][]float64 {
	// TODO
	return nil
}

// DLdK returns dL/dK, a k x k matrix, from g (n x m), S (2n x 2m) and
// X ((2n+k-1) x (2m+k-1)).
func DLdK(g, S, X [][]float64, k int) [][]float64 {
	// TODO
	return nil
}
