package similar

// The types below are the contract between the comparison (similar.go),
// its writers (csv.go, html.go) and the CLI (`check similar`, and the end
// of `check grade`). Everything a writer needs is in a Result: the
// writers never re-read a submission.

// File is one Go file of one student's task, as submitted (Text is the
// whole file, so that a report can show it).
type File struct {
	Name string // the name it had in the submission, such as task1_3180100111.go
	Text string
}

// Student is one submission's code: its Go files by task. Task names are
// the kit's parts ("task1" ... "task4", "conceptual.go").
type Student struct {
	ID    string
	Tasks map[string][]File
}

// Base is the code every student received, by task: the generated stubs
// and the given helpers (from the kit's exercises or from a student
// copy). Its fingerprints count for nothing.
type Base map[string][]File

// Options tune the comparison; the zero value is the default.
type Options struct {
	K      int     // tokens in a k-gram (default DefaultK)
	Window int     // winnowing window in k-grams (default DefaultWindow)
	Jobs   int     // goroutines (default GOMAXPROCS)
	Min    float64 // pairs scoring below this are dropped from Result.Pairs (default 0: all pairs sharing a fingerprint)
	// Common is the share of the students above which a fingerprint
	// counts as common code and is ignored like base code (default
	// DefaultCommon); one held by 20 students or fewer never is.
	Common float64
}

// Span is a run of lines of one file: lines From to To, 1-based and
// inclusive.
type Span struct {
	File     int // index into the student's Files for the pair's task
	From, To int
}

// Match is one run of tokens the two sides of a pair share, as lines of
// each side. Tokens is its length in normalised tokens.
type Match struct {
	A, B   Span
	Tokens int
}

// Pair is the comparison of two students on one task. A sorts before B.
type Pair struct {
	Task string
	A, B string // student IDs
	// ShareA is the share of A's fingerprints (base code subtracted)
	// found in B; ShareB the converse. Both are in [0, 1].
	ShareA, ShareB float64
	// Score ranks the pairs: the larger of ShareA and ShareB.
	Score float64
	// Longest is the longest matching run, in normalised tokens.
	Longest int
	// Matches are the shared runs, longest first.
	Matches []Match
}

// Result is the whole comparison.
type Result struct {
	Tasks     []string                  // the tasks compared, in kit order
	Students  []string                  // the student IDs, sorted
	Files     map[string]Student        // by student ID: the files, for the reports
	Pairs     []Pair                    // every pair that shares a fingerprint (or scores Options.Min), by Score descending, then task, A, B
	Counts    map[string]map[string]int // distinct fingerprints per task per student, base and common code subtracted (0: nothing of the student's own)
	K, Window int                       // the parameters used
}
