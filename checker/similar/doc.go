// Package similar finds submissions that share code: `check similar`,
// and the end of `check grade`. It runs locally, knows Go, and knows
// which code the kit handed out.
//
// # Method
//
// Each student's files of a task are parsed with go/parser, and every
// function (and every other top-level declaration) becomes a stream of
// normalised tokens, so that disguises change nothing:
//
//   - comments and layout are gone;
//   - names go by role: every name a function declares (receiver,
//     parameters, results, variables, labels; a function literal's in a
//     top-level var too) is one token V, the same
//     for all because splitting a helper out of a function turns its
//     variables into parameters; a name the
//     student declares at the top level is its kind (func, type, var);
//     a field or method the student declares is one token .M after the
//     dot; an imported package goes by its own name whatever the import
//     calls it, and its members are kept (mat.NewDense: renaming cannot
//     change them, and generalising them would make independent
//     solutions, which share none of their names, look more alike);
//     predeclared names (len, float64, nil) are kept;
//   - literals go by kind (an integer, a float, a string);
//   - cheap canonical forms: the operands of + * == != && || & | ^ are
//     sorted (chains of one operator flattened first), a > b is b < a,
//     x += y is x = x + y, x++ is x = x + 1, parentheses go, and the
//     index loop for i := 0; i < n; i++ is the range loop for i := range
//     n, range len(xs) being range xs;
//   - each run of simple statements (assignments, declarations, calls)
//     is put in a canonical order: among the statements whose
//     predecessors they depend on are out, the smallest in tokens first.
//     Two depend on each other when one writes a name the other reads or
//     writes, or when both are call statements (run for what they
//     change), so swapping two independent statements changes nothing.
//
// Each stream's k-grams (Options.K tokens) are hashed and winnowed
// (Schleimer, Wilkerson and Aiken 2003: the minimum hash of every window
// of Options.Window k-grams, the rightmost on ties): any run of at least
// K+Window-1 tokens two submissions share gives both at least one common
// fingerprint. No k-gram crosses a function, so reordering functions,
// and splitting or merging them, costs at most the k-grams at the seams.
// Students submit broken code too. A file with syntax errors is cut at
// the lines that start top-level declarations and each piece parsed on
// its own (with the package clause, and the file's imports), in time
// linear in the file however many pieces it makes, so one missing brace
// does not take the rest of the file with it: deleting any one line
// that opens or closes a brace costs a copy of the task 1 or task 2
// solution at most a third of its score, mostly under a tenth. What the
// parser recovers nothing of (code without a package clause) is
// tokenised with go/scanner instead, with names that are not predeclared
// or packages as V, one stream per top-level func.
//
// The base code, every Go file the kit gave out for the task (see
// KitBase), is normalised the same way, and a student's fingerprint equal
// to any of its k-grams counts for nothing: two untouched stubs score 0.
// So does common code: a fingerprint held by more than Options.Common of
// the students (and by more than 20 of them) is an idiom, not a copy.
//
// # Scoring
//
// An inverted index maps each remaining fingerprint to the students
// holding it; summing over each student's fingerprints gives, for every
// pair sharing at least one, the number of distinct fingerprints they
// share, without visiting the pairs that share none. For pair (A, B) on a
// task, ShareA is that number over A's distinct fingerprints, ShareB over
// B's, and the Score is the larger: a student who copied a part of a
// larger program scores high. The matches are the runs of fingerprints
// consecutive on both sides, mapped back to token ranges and lines,
// merged where they overlap; Longest is the longest in tokens.
//
// # The defaults
//
// K = 18 and Window = 8 (a shared run of 25 normalised tokens, about two
// lines, is always seen) were chosen on testdata/corpus (see
// corpus_test.go) by sweeping K over 8 to 22 and Window over 1 to 12: the
// lowest score of a disguised copy over the best score of two
// independent solutions was about 3 to 3.7 everywhere (a small corpus:
// the differences are noise); among the settings that kept every
// disguise's precision at its floor, K = 18 is long enough that a class
// of hundreds shares few k-grams by chance, and Window = 8 keeps about
// 2/(Window+1), a fifth, of the k-grams.
//
// Everything is deterministic: the same submissions give the same
// Result, whatever Options.Jobs.
package similar
