// Package tensor is nnkit's eager n-dimensional tensor engine with
// define-by-run automatic differentiation.
//
// Tensors are row-major and hold either float32 (the fast path for
// convolutional networks) or float64 (for gradient checks and the small MLP
// of task 2). Every operation computes its result immediately and, when any
// input requires a gradient and gradients are enabled, records a closure that
// knows how to send the output's gradient back to the inputs. Calling
// Backward on a scalar walks those closures in reverse topological order.
//
// Conventions, stated once:
//   - Operations never modify their inputs; they return new tensors.
//     The few in-place methods say so in their names (AddScaledInPlace,
//     ZeroGrad, Fill).
//   - Gradients accumulate in Grad() of leaf tensors that require a gradient,
//     as in PyTorch; call ZeroGrad between steps. Gradients of intermediate
//     results are released once they have been propagated.
//   - Memory: Go cannot tell when nothing refers to a result, as Python's
//     reference counting tells PyTorch, so results are left to the garbage
//     collector unless the caller says it keeps them no longer. A training
//     loop says so with BackwardAndRelease, which gives the storage of
//     every intermediate result of the step back to the engine's buffer
//     pool, where the next step finds it still in the cache; nn.Sequential
//     does it for the results passed between its built-in layers. A
//     tensor given back panics on any later use (Released reports it), and
//     storage shared with a view or a Data32 slice is never reused.
//   - Misuse (shape mismatch, mixed dtypes, a non-scalar Backward) panics with
//     a message naming the operation, what was expected and what was found,
//     like gonum's mat package. Boundaries that read user files return errors.
//   - Every random function takes an explicit *rand.Rand, so the same seed
//     gives the same numbers, and every parallel reduction adds in a fixed
//     order, so a run gives the same bits run after run on one machine
//     with one GOMAXPROCS. Across CPUs float32 results may differ in their
//     last bits: on AVX-512 CPUs 3 x 3 stride-1 convolutions of 16 or more
//     channels run as Winograd convolutions (winograd.go), elsewhere as
//     im2col GEMMs.
//
// The Device seam: every tensor lives on a Device. Only CPU exists in the
// default build; a GPU backend selected by a build tag plugs in behind the
// same operations, so layers never change. Both implement Backend, the
// kernels of every operation: each operation's shape checks, geometry and
// backward closure are written once above it (device.go), and one table of
// tests (internal/conformance) runs on every backend.
package tensor
