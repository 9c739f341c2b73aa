// Package conceptual verifies the six conceptual problems of the assignment
// numerically and scores students' answers to them.
//
// For every problem the package holds code that computes the answer the way
// the derivation in docs/conceptual states it, and its tests check that code
// against an independent truth: the tensor engine's autograd or float64
// finite differences, on random instances as well as the textbook one.
//
//	problem  what the code does                                   truth
//	1        dL/dS, dL/dC, dL/dK of conv -> sigmoid -> 2x2 avg    autograd (Conv2d, Sigmoid, AvgPool2d)
//	2        greedy non-maximum suppression                       brute-force properties
//	3        parameter count of a layer list, per-layer table     nn.CountParameters
//	4        dE/dz = q - p for softmax + cross-entropy             central differences, autograd
//	5        one SGD step of a 2 x 2 softmax layer                 autograd + optim.SGD
//	6        products of RNN Jacobians and their norms            central differences, the sigma' <= 1/4 bound
//
// # Student answers
//
// Students answer in conceptual/answers: problem 1 as three Go functions
// with fixed signatures (DLdS, DLdC, DLdK on [][]float64, indices 0-based),
// problems 3 and 5 as numbers in answers.txt, problems 2, 4 and 6 as
// Markdown in p2.md, p4.md and p6.md, graded by hand. Package
// nnkit/conceptual/grade scores such a folder (grade.Check) against truths
// from the engine, so it does not import this package and does not spell
// out the answers; conceptual/reference holds reference answers that score
// every auto-graded point. This package, conceptual/reference and
// docs/conceptual contain the answers: withhold them from students until
// the assignment is graded.
//
// Conventions: matrices are [][]float64 in row-major order, indexed from 0;
// the derivations in the docs index from 1, so x_{a,b} in the text is
// X[a-1][b-1] here. Every random instance is drawn from an explicit seed.
package conceptual
