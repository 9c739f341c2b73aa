package checker

import (
	"fmt"
	"nnkit/nn"
	"reflect"
	"sort"
	"strings"
)

// Task is the rubric of one programming task: the graded functions (the
// fields of a funcs struct such as Task1Funcs), the imports a student may
// use, and the items with their points. Build one with NewTask.
type Task struct {
	Name    string   // the package name and directory: "task1"
	Title   string   // one line for listings
	Allowed []string // import paths a student's files may import
	Items   []Item
	// Package is the package clause the files must have; "" means Name
	// (the conceptual answers are package answers).
	Package string
	// Calls lists, for each graded function, the graded functions its
	// reference calls. Only those calls, made while that function's
	// item runs, are answered with the reference (a mistake costs
	// points once, see redirect.go); any other call runs the student's
	// own function, so that the reference is never an oracle for the
	// function being graded (DNNBackward calling Train to learn the
	// gradient). A test derives the table from the solutions.
	Calls map[string][]string

	funcs reflect.Type // the funcs struct type
	ref   any          // *F holding the reference functions
}

// Item is one rubric line.
type Item struct {
	Name   string
	Points float64
	// Uses lists the graded functions the item calls; a missing, renamed,
	// mis-declared or uncompilable one costs the item all its points.
	Uses []string
	// Methods lists the methods the item grades, as "T.M" (Forward of
	// *Residual is "Residual.Forward"): a compile error inside one costs
	// this item, and the others are graded with the method stubbed out.
	Methods []string
	check   func(c *Ctx, student, ref any)
}

// ItemOf declares an item of a task whose graded functions are the fields
// of F. Check grades the student's functions against the reference ones;
// it starts from full points and takes points off through c.
type ItemOf[F any] struct {
	Name   string
	Points float64
	Uses   []string // nil means {Name}
	// Methods are the methods it grades, as "T.M"; see Item.Methods.
	Methods []string
	Check   func(c *Ctx, student, ref *F)
}

// NewTask declares a task. F must be a struct whose fields are all funcs
// named like the graded functions, with their exact signatures; ref holds
// the reference implementations (the seam through which the solutions,
// or later fixtures, reach the checker).
func NewTask[F any](name, title string, ref *F, allowed []string, items ...ItemOf[F]) *Task {
	ft := reflect.TypeFor[F]()
	if ft.Kind() != reflect.Struct {
		panic(fmt.Sprintf("checker: task %s: funcs type %v is not a struct", name, ft))
	}
	for i := range ft.NumField() {
		if ft.Field(i).Type.Kind() != reflect.Func {
			panic(fmt.Sprintf("checker: task %s: field %s of %v is not a func", name, ft.Field(i).Name, ft))
		}
	}
	t := &Task{Name: name, Title: title, Allowed: allowed, funcs: ft, ref: ref}
	for _, it := range items {
		uses := it.Uses
		if uses == nil {
			uses = []string{it.Name}
		}
		for _, u := range uses {
			if _, ok := ft.FieldByName(u); !ok {
				panic(fmt.Sprintf("checker: task %s: item %s uses %s, which is not a field of %v", name, it.Name, u, ft))
			}
		}
		check := it.Check
		t.Items = append(t.Items, Item{
			Name: it.Name, Points: it.Points, Uses: uses, Methods: it.Methods,
			check: func(c *Ctx, student, ref any) { check(c, student.(*F), ref.(*F)) },
		})
	}
	return t
}

// Funcs returns the graded functions' names, in declaration order.
func (t *Task) Funcs() []string {
	var names []string
	for i := range t.funcs.NumField() {
		names = append(names, t.funcs.Field(i).Name)
	}
	return names
}

// FuncType returns the type a graded function must have.
func (t *Task) FuncType(name string) reflect.Type {
	f, ok := t.funcs.FieldByName(name)
	if !ok {
		return nil
	}
	return f.Type
}

// PackageName is the package clause the task's files must have.
func (t *Task) PackageName() string {
	if t.Package != "" {
		return t.Package
	}
	return t.Name
}

// Points returns the task's total.
func (t *Task) Points() float64 {
	var s float64
	for _, it := range t.Items {
		s += it.Points
	}
	return s
}

// withCalls sets t.Calls (see Task.Calls).
func withCalls(t *Task, calls map[string][]string) *Task {
	for caller, callees := range calls {
		for _, f := range append([]string{caller}, callees...) {
			if t.FuncType(f) == nil {
				panic(fmt.Sprintf("checker: task %s: Calls names %s, which is not a graded function", t.Name, f))
			}
		}
	}
	t.Calls = calls
	return t
}

var registry = map[string]*Task{}

// register adds a task; each task file calls it from a package-level var.
func register(t *Task) *Task {
	if _, dup := registry[t.Name]; dup {
		panic("checker: task " + t.Name + " registered twice")
	}
	registry[t.Name] = t
	return t
}

// Tasks returns every task, by name.
func Tasks() []*Task {
	var ts []*Task
	for _, t := range registry {
		ts = append(ts, t)
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].Name < ts[j].Name })
	return ts
}

// LookupTask returns the task called name, or nil.
func LookupTask(name string) *Task { return registry[name] }

// Ctx is what an item's check uses to take points off. An item starts at
// full points; every Lose names its reason, so the report says why each
// point was lost.
type Ctx struct {
	// install, when not nil, makes a block of a student's module type
	// in the student process (see the Residual/forward check).
	install func(proto nn.Module, fields []string, layers []nn.Module) (nn.Module, error)
	max     float64
	score   float64
	status  Status
	reasons []string
	details strings.Builder
}

func newCtx(max float64) *Ctx { return &Ctx{max: max, score: max} }

// Lose takes pts off (never below zero) with a reason; st says what kind
// of failure it is (Fail, InputModified, NotDone...). The first Lose
// decides the item's status when the item ends at zero.
func (c *Ctx) Lose(pts float64, st Status, format string, args ...any) {
	pts = min(pts, c.score)
	c.score -= pts
	if c.status == "" {
		c.status = st
	}
	msg := fmt.Sprintf(format, args...)
	if pts > 0 && pts < c.max {
		msg = fmt.Sprintf("-%s: %s", points(pts), msg)
	}
	c.reasons = append(c.reasons, msg)
}

// LoseAll sets the score to zero.
func (c *Ctx) LoseAll(st Status, format string, args ...any) {
	c.score = 0
	c.Lose(0, st, format, args...)
	c.status = st
}

// Score returns the points left.
func (c *Ctx) Score() float64 { return c.score }

// Detailf adds to the item's details, shown with -v.
func (c *Ctx) Detailf(format string, args ...any) {
	fmt.Fprintf(&c.details, format, args...)
	if !strings.HasSuffix(c.details.String(), "\n") {
		c.details.WriteByte('\n')
	}
}

// result turns the context into the item's Result.
func (c *Ctx) result(task string, it Item) Result {
	r := Result{Task: task, Item: it.Name, Score: c.score, Max: it.Points, Reason: strings.Join(c.reasons, "; "), Details: c.details.String()}
	switch {
	case c.score >= c.max:
		r.Status = Pass
	case c.score > 0:
		r.Status = Partial
	default:
		r.Status = c.status
		if r.Status == "" {
			r.Status = Fail
		}
	}
	return r
}
