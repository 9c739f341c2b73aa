package similar

import (
	"cmp"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"sync"

	"nnkit/checker/grading"
)

// The defaults of Options, chosen on the test corpus (see the package
// doc).
const (
	DefaultK      = 18
	DefaultWindow = 8
	// DefaultCommon is the share of the students above which a
	// fingerprint is common code (an idiom, a formula everyone writes
	// alike) and is ignored, as base code is: but never when it is held
	// by at most minCommon students, so a small class keeps its pairs.
	DefaultCommon = 0.1
	minCommon     = 20
)

// fp is one fingerprint: the hash of a k-gram and where the k-gram
// starts (a token of a unit).
type fp struct {
	h    uint64
	unit int32
	pos  int32
}

// taskPrint is one student's fingerprints for one task.
type taskPrint struct {
	units []unit
	fps   []fp     // in unit and position order; base and common code removed
	set   []uint64 // the distinct hashes of fps, sorted
	// occ[at[i]:at[i+1]] are the indices into fps of set[i], ascending.
	at, occ []int32
}

// Compare fingerprints every student's tasks, subtracts the base code and
// scores every pair per task.
func Compare(students []Student, base Base, opt Options) (*Result, error) {
	if opt.K <= 0 {
		opt.K = DefaultK
	}
	if opt.Window <= 0 {
		opt.Window = DefaultWindow
	}
	if opt.Jobs <= 0 {
		opt.Jobs = runtime.GOMAXPROCS(0)
	}
	if opt.Common <= 0 {
		opt.Common = DefaultCommon
	}
	students = slices.Clone(students)
	slices.SortFunc(students, func(a, b Student) int { return cmp.Compare(a.ID, b.ID) })
	r := &Result{Files: map[string]Student{}, Counts: map[string]map[string]int{}, K: opt.K, Window: opt.Window}
	taskSet := map[string]bool{}
	for i, s := range students {
		if i > 0 && students[i-1].ID == s.ID {
			return nil, fmt.Errorf("similar: two submissions with the ID %q: expected one per student", s.ID)
		}
		r.Students = append(r.Students, s.ID)
		r.Files[s.ID] = s
		for t, fs := range s.Tasks {
			if len(fs) > 0 {
				taskSet[t] = true
			}
		}
	}
	r.Tasks = kitOrder(taskSet)
	byTask := make([][]Pair, len(r.Tasks))
	total := 0
	for i, task := range r.Tasks {
		byTask[i], r.Counts[task] = compareTask(task, students, base[task], opt)
		total += len(byTask[i])
	}
	r.Pairs = make([]Pair, 0, total)
	for _, ps := range byTask {
		r.Pairs = append(r.Pairs, ps...)
	}
	slices.SortFunc(r.Pairs, func(a, b Pair) int {
		return cmp.Or(cmp.Compare(b.Score, a.Score), cmp.Compare(a.Task, b.Task), cmp.Compare(a.A, b.A), cmp.Compare(a.B, b.B))
	})
	return r, nil
}

// kitOrder lists the tasks in the order of the kit's parts, any other
// name after them, sorted.
func kitOrder(set map[string]bool) []string {
	var out []string
	for _, p := range grading.Parts() {
		if set[string(p)] {
			out = append(out, string(p))
			delete(set, string(p))
		}
	}
	var rest []string
	for t := range set {
		rest = append(rest, t)
	}
	sort.Strings(rest)
	return append(out, rest...)
}

// parallel runs f(i) for i in [0, n) on jobs goroutines.
func parallel(n, jobs int, f func(worker, i int)) {
	var wg sync.WaitGroup
	next := make(chan int)
	for w := range min(jobs, max(n, 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				f(w, i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

// baseHashes is every k-gram hash of the base code: all of them, not
// only the winnowed ones, so a student's fingerprint inside text that
// came with the kit is removed whatever the windows around it.
func baseHashes(files []File, k int) map[uint64]bool {
	m := map[uint64]bool{}
	for _, u := range taskUnits(files) {
		for _, h := range kgrams(u.toks, k) {
			m[h] = true
		}
	}
	return m
}

// fingerprint winnows one student's task and drops the base code.
func fingerprint(files []File, base map[uint64]bool, opt Options) *taskPrint {
	p := &taskPrint{units: taskUnits(files)}
	for ui, u := range p.units {
		h := kgrams(u.toks, opt.K)
		for _, i := range winnow(h, opt.Window) {
			if !base[h[i]] {
				p.fps = append(p.fps, fp{h[i], int32(ui), i})
			}
		}
	}
	return p
}

// keep drops the fingerprints f rejects and rebuilds set, at and occ.
func (p *taskPrint) keep(f func(uint64) bool) {
	p.fps = slices.DeleteFunc(p.fps, func(x fp) bool { return !f(x.h) })
	p.occ = make([]int32, len(p.fps))
	for i := range p.occ {
		p.occ[i] = int32(i)
	}
	slices.SortFunc(p.occ, func(x, y int32) int { return cmp.Or(cmp.Compare(p.fps[x].h, p.fps[y].h), cmp.Compare(x, y)) })
	p.set, p.at = p.set[:0], p.at[:0]
	for i, o := range p.occ {
		if h := p.fps[o].h; i == 0 || h != p.set[len(p.set)-1] {
			p.set = append(p.set, h)
			p.at = append(p.at, int32(i))
		}
	}
	p.at = append(p.at, int32(len(p.occ)))
}

// compareTask scores every pair of students on one task.
func compareTask(task string, students []Student, baseFiles []File, opt Options) ([]Pair, map[string]int) {
	base := baseHashes(baseFiles, opt.K)
	prints := make([]*taskPrint, len(students))
	parallel(len(students), opt.Jobs, func(_, i int) {
		prints[i] = fingerprint(students[i].Tasks[task], base, opt)
		prints[i].keep(func(uint64) bool { return true })
	})
	// The inverted index: hash -> the students holding it, in order.
	holders := map[uint64][]int32{}
	for i, p := range prints {
		for _, h := range p.set {
			holders[h] = append(holders[h], int32(i))
		}
	}
	limit := max(minCommon, int(math.Floor(opt.Common*float64(len(students)))))
	for h, hs := range holders {
		if len(hs) > limit {
			delete(holders, h)
		}
	}
	counts := map[string]int{}
	parallel(len(students), opt.Jobs, func(_, i int) {
		prints[i].keep(func(h uint64) bool { _, ok := holders[h]; return ok })
	})
	for i, p := range prints {
		counts[students[i].ID] = len(p.set)
	}
	// Per student a, the students after it sharing a fingerprint: the
	// shared counts are summed over a's hashes, never over all pairs.
	found := make([][]Pair, len(students))
	counters := make([][]int32, opt.Jobs)
	scratches := make([]scratch, opt.Jobs)
	for w := range counters {
		counters[w] = make([]int32, len(students))
	}
	parallel(len(students), opt.Jobs, func(w, a int) {
		c := counters[w]
		var touched []int32
		for _, h := range prints[a].set {
			for _, b := range holders[h] {
				if int(b) <= a {
					continue
				}
				if c[b] == 0 {
					touched = append(touched, b)
				}
				c[b]++
			}
		}
		slices.Sort(touched)
		found[a] = make([]Pair, 0, len(touched))
		for _, b := range touched {
			n := float64(c[b])
			c[b] = 0
			pa, pb := prints[a], prints[b]
			sa, sb := n/float64(len(pa.set)), n/float64(len(pb.set))
			score := max(sa, sb)
			if score < opt.Min {
				continue
			}
			ms := matches(pa, pb, opt.K, &scratches[w])
			pr := Pair{Task: task, A: students[a].ID, B: students[b].ID, ShareA: sa, ShareB: sb, Score: score, Matches: ms}
			if len(ms) > 0 {
				pr.Longest = ms[0].Tokens
			}
			found[a] = append(found[a], pr)
		}
	})
	total := 0
	for _, f := range found {
		total += len(f)
	}
	pairs := make([]Pair, 0, total)
	for _, f := range found {
		pairs = append(pairs, f...)
	}
	return pairs, counts
}

// run is a stretch of fingerprints a and b share in the same order: a's
// fingerprints ia0..ia1 (consecutive in a's list) and b's ib0..ib1.
type run struct{ ia0, ia1, ib0, ib1 int32 }

// matches finds the runs of consecutive shared fingerprints, maps them
// to token ranges and lines, merges those that overlap on both sides,
// and returns them longest first.
func matches(a, b *taskPrint, k int, sc *scratch) []Match {
	// The shared hashes, by a merge of the two sorted sets: each of a's
	// fingerprints with one, and b's fingerprints of that hash.
	sh := sc.sh[:0]
	for i, j := 0, 0; i < len(a.set) && j < len(b.set); {
		switch {
		case a.set[i] < b.set[j]:
			i++
		case a.set[i] > b.set[j]:
			j++
		default:
			for _, ia := range a.occ[a.at[i]:a.at[i+1]] {
				sh = append(sh, shared{ia, int32(j)})
			}
			i++
			j++
		}
	}
	slices.SortFunc(sh, func(x, y shared) int { return cmp.Compare(x.ia, y.ia) })
	runs := sc.runs[:0]
	for _, s := range sh {
		i := s.ia
		occ := b.occ[b.at[s.bset]:b.at[s.bset+1]]
		if n := len(runs); n > 0 && runs[n-1].ia1 == i-1 && a.fps[i-1].unit == a.fps[i].unit {
			last := &runs[n-1]
			if j, ok := slices.BinarySearch(occ, last.ib1+1); ok && b.fps[occ[j]].unit == b.fps[last.ib1].unit {
				last.ia1, last.ib1 = i, occ[j]
				continue
			}
		}
		runs = append(runs, run{i, i, occ[0], occ[0]})
	}
	rs := sc.rs[:0]
	for _, r := range runs {
		fa0, fa1, fb0, fb1 := a.fps[r.ia0], a.fps[r.ia1], b.fps[r.ib0], b.fps[r.ib1]
		rs = append(rs, pairRange{rng{fa0.unit, fa0.pos, fa1.pos + int32(k)}, rng{fb0.unit, fb0.pos, fb1.pos + int32(k)}})
	}
	slices.SortFunc(rs, func(x, y pairRange) int {
		return cmp.Or(cmp.Compare(x.a.unit, y.a.unit), cmp.Compare(x.a.from, y.a.from), cmp.Compare(x.b.unit, y.b.unit), cmp.Compare(x.b.from, y.b.from))
	})
	overlap := func(x, y rng) bool { return x.unit == y.unit && x.from <= y.to && y.from <= x.to }
	merged := sc.merged[:0]
	for _, r := range rs {
		if n := len(merged); n > 0 && overlap(merged[n-1].a, r.a) && overlap(merged[n-1].b, r.b) {
			m := &merged[n-1]
			m.a.to, m.b.from, m.b.to = max(m.a.to, r.a.to), min(m.b.from, r.b.from), max(m.b.to, r.b.to)
			continue
		}
		merged = append(merged, r)
	}
	// The lines the tokens came from: canonical forms reorder tokens, so
	// the first and last tokens need not be the first and last lines.
	span := func(p *taskPrint, r rng) Span {
		u := p.units[r.unit]
		lo, hi := int32(math.MaxInt32), int32(0)
		for _, t := range u.toks[r.from:r.to] {
			if t.line > 0 {
				lo, hi = min(lo, t.line), max(hi, t.line)
			}
		}
		if hi == 0 {
			lo, hi = 1, 1
		}
		return Span{File: u.file, From: int(lo), To: int(hi)}
	}
	out := make([]Match, 0, len(merged))
	for _, m := range merged {
		out = append(out, Match{A: span(a, m.a), B: span(b, m.b), Tokens: int(m.a.to - m.a.from)})
	}
	slices.SortStableFunc(out, func(x, y Match) int { return cmp.Compare(y.Tokens, x.Tokens) })
	sc.sh, sc.runs, sc.rs, sc.merged = sh, runs, rs, merged
	return out
}

// shared is one of a's fingerprints whose hash b holds: its index in
// a.fps and the hash's index in b.set.
type shared struct{ ia, bset int32 }

// rng is a range of tokens [from, to) of a unit.
type rng struct{ unit, from, to int32 }

// pairRange is a match as token ranges of a and of b.
type pairRange struct{ a, b rng }

// scratch is one worker's buffers for matches, reused from pair to pair.
type scratch struct {
	sh         []shared
	runs       []run
	rs, merged []pairRange
}
