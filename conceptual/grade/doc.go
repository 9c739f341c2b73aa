// Package grade scores a student's answers to the six conceptual problems
// and returns rubric rows (task "conceptual") for nnkit/checker's table.
//
// A student's answers directory (conceptual/answers in the kit) holds:
//
//	p1.go        package answers: DLdS, DLdC, DLdK (see P1Answers), auto-graded
//	answers.txt  problems 3 and 5 as numbers (format: ParseAnswers), auto-graded
//	p2.md        problem 2.1 and 2.2 in prose, graded by hand
//	p4.md        problem 4's proof, graded by hand
//	p6.md        problem 6 in prose, graded by hand
//
// Check grades such a directory from anywhere: problem 1 goes through
// the checker (checker.CheckTask) like a programming task, so p1.go is
// built into a contained student process that answers calls and never
// scores itself; answers.txt and the Markdown files are read directly,
// so a package that does not compile still gets its numeric and prose
// answers listed.
//
// The truths come from the tensor engine, not from the closed forms of
// nnkit/conceptual: autograd for problem 1, nn.Linear with optim.SGD for
// problem 5, nn.CountParameters for problem 3. This package therefore does
// not spell out the expected answers, and messages describe the expected
// form (a 2 x 2 matrix, an integer), never the value. The student
// distribution (`check dist`) leaves out truth_live.go, the engine code
// that computes problems 3 and 5, and ships their salted hashes instead
// (HashedAnswers says what that trades off).
package grade
