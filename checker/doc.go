// Package checker scores a student's task package against the reference
// solutions and renders the rubric table.
//
// # The trust boundary
//
// The student's code is hostile, not just buggy. It runs in a student
// process built from the student's package and a generated main calling
// nnkit/checker/harness, and nothing else of the checker: no rubric, no
// reference solution, no fixture, no answer (a check of `go list -deps`
// before anything runs refuses any other package). The harness answers
// calls that the checker sends over a pipe (nnkit/checker/wire: a
// versioned, size-limited protocol) with what the student's function
// returned and what became of its arguments. The checker, in its own
// process, draws the inputs, runs the reference, compares and scores;
// nothing the student process writes or prints becomes a score, and
// every score is clamped to [0, max] here.
//
// # How a package is checked
//
// Check(ctx, "exercises/task1", opts) works in four steps, so that nothing
// a student writes can stop the other items from being graded:
//
//  1. Rules, on the whole package's source (go/parser, rules*.go): every
//     graded function declared with its exact signature; every import of
//     every file in the task's allowed list; no //go: directives, cgo,
//     unsafe, assembly or other non-Go sources, go.mod, vendor/, links,
//     build constraints; every file's package clause the task's. What a
//     graded function or graded method reaches costs that item; what
//     runs regardless of items (init, package-level variables, blank and
//     dot imports, code no item owns) costs the whole task. Every
//     message names file:line and the fix. The declarations a rule
//     refuses are stubbed out before the build, so they never run.
//  2. Build: the student's files are placed, through `go build -overlay`,
//     at the virtual package checker/internal/virtual/taskN inside the
//     module, with the generated main beside it. Every graded function
//     declared with its signature is renamed and wrapped (redirect.go):
//     called from another graded function's code, the wrapper asks the
//     checker, which answers with the reference's result, so a mistake
//     costs points once. The student's own _test.go files are left out;
//     nothing is written to the student's folder.
//  3. When the build fails, each compiler error is mapped to the function
//     around it (or the method, when an item lists it in Item.Methods, as
//     Residual.Forward); those are stubbed out (gen.StubFuncs keeps every
//     other line where it was) and the build is retried, so a compile
//     error in one function costs the items that reach that function and
//     names it. An error outside any function fails every item.
//  4. Every item starts a fresh student process (a time limit,
//     Options.Timeout, and capped output; it dies with the checker and
//     takes whatever it started with it) and runs its check here, calling
//     the student's functions through proxies. A panic in the student's
//     code comes back located at the student's file:line; a crash, an
//     exit, an endless loop, a malformed or oversized reply cost that item
//     only. An init that never lets the program answer is reported once
//     for all items.
//
// Values cross the pipe by reflection (matrices, tensors, loaders,
// training histories; see nnkit/checker/wire). Modules of the engine's
// layer types cross as their fields, so the checker sees a student's
// network layer by layer with its parameters; a module of the student's
// own type (task 4's Residual) stays in the student process and its
// Forward runs there. The engine's layer generator crosses with every
// call, so nn.Seed in a check decides the weights a student's
// constructor draws.
//
// # Rubric conventions
//
// An item starts at full points; its check takes points off with
// Ctx.Lose, giving the reason for every point lost, so partial credit is
// explicit. Results are compared with the reference on seeded random
// inputs of several sizes and on edge cases, with the tolerances in
// compare.go (exact for ReLU and masks, a few ulps for arithmetic, a
// little more after several training epochs). Every item also checks
// that the student's function leaves its inputs unchanged (1 point), and
// reports NaN/Inf, wrong shapes and nil results by name. A function that
// returns its zero values scores 0 with status "not implemented", which
// is what the generated stubs do.
//
// # Adding a task
//
// A task is declarative; see task2.go for a short one.
//
//  1. Write solutions/taskN with each graded body between
//     "// BEGIN SOLUTION [P pts]" and "// END SOLUTION" covering the whole
//     body, and run `go run ./cmd/check gen taskN` to write
//     exercises/taskN (never edit exercises by hand; a test fails when
//     they are out of date).
//
//  2. In checker/taskN.go declare the funcs struct (one field per graded
//     function, named like it and with its exact type: the signatures the
//     rules enforce), the reference seam and the task, as in the example
//     below. An item's Uses (default: its Name) lists the graded
//     functions it calls.
//
//  3. Write each Check(c *Ctx, student, ref *Task5Funcs): call the
//     student's function and the reference on the same inputs, compare,
//     and c.Lose(points, status, reason) for every mismatch (c.LoseAll
//     with NotDone when the result is the zero value).
//
//  4. Add the points to TestTaskPoints and cases to
//     checker/testdata/broken/taskN (one replacement function or method
//     per file and "// want ITEM score=N status=S reason~\"...\"" lines;
//     see broken_test.go). The tests that the solutions score full marks
//     and the stubs zero pick the new task up by themselves.
//
// The declarations of step 2, for a task with one graded function:
//
//	type Task5Funcs struct {
//		GetNet func() *nn.Sequential
//	}
//
//	var task5Reference = &Task5Funcs{GetNet: task5.GetNet}
//
//	var Task5 = register(NewTask("task5", "one line", task5Reference,
//		[]string{"nnkit/nn", "nnkit/tensor"}, // the allowed imports
//		ItemOf[Task5Funcs]{Name: "GetNet", Points: 5, Check: checkGetNet},
//	))
package checker
