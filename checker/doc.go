// Package checker scores a student's task package against the reference
// solutions and renders the rubric table.
//
// # How a package is checked
//
// Check(ctx, "exercises/task1", opts) works in four steps, so that nothing
// a student writes can stop the other items from being graded:
//
//  1. Rules, on the source (go/parser): every graded function must be
//     declared with its exact signature, and every import must be in the
//     task's allowed list. A missing or renamed function, a changed
//     signature or a forbidden import is reported as "rule broken" with
//     the rule and file:line, and costs only the items it touches (an
//     import costs the graded functions that use it, directly or through
//     helpers that are not graded).
//  2. Build: the student's files are placed, through `go test -overlay`,
//     at the virtual package checker/internal/virtual/taskN inside the
//     module, beside a generated external test file that assigns the
//     well-formed graded functions to the task's funcs struct (missing
//     ones stay nil) and whose TestMain calls ChildMain. The student's own
//     _test.go files are left out. Nothing is written to the student's
//     folder, which may be anywhere.
//  3. `go test -c` compiles the binary once. When it fails, each compiler
//     error is mapped to the function around it (or the method, when an
//     item lists it in Item.Methods, as Residual.Forward); those are
//     stubbed out (gen.StubFuncs keeps every other line where it was) and
//     the build is retried, so a compile error in one function costs
//     the items that reach that function and names it. An error outside
//     any function fails every item with its position.
//  4. Every item runs in its own child process of that binary
//     (NNKIT_CHECK_ITEM names it, NNKIT_CHECK_OUT the result file), with
//     a time limit (Options.Timeout, DefaultTimeout) and capped output. A
//     panic is recovered and located in the student's file:line; a crash,
//     os.Exit, an endless loop or megabytes of output cost that item only.
//
// The checker guards against mistakes, not malice: a child could forge
// its result file. `check grade` adds what docs/grading.md describes
// (only the task files taken from a submission, a restored kit per
// student, fresh inputs, limits, an audit of task 3's use of os) and
// states its threat model.
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
//  4. Add the points to TestTaskPoints and cases to testdata/broken/taskN
//     (one replacement function or method per file and "// want ITEM score=N
//     status=S reason~\"...\"" lines; see broken_test.go). The tests
//     that the solutions score full marks and the stubs zero pick the
//     new task up by themselves.
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
