// Package grading packs a student's submission (`check submit`) and
// grades a folder of submissions (`check grade`); docs/grading.md is the
// manual.
//
// # The naming convention
//
// A submission is ID_assignment2.zip, ID being the student's 10-digit
// number, holding at its top level (no folder) the course's five files:
//
//	task1_ID.go ... task4_ID.go   exercises/taskN (task 3's two files merged into one)
//	conceptual_ID.pdf             the conceptual answers, for the hand graders
//
// and, in the folder ID_answers/, the answers `check grade` grades:
//
//	conceptual_ID.go              conceptual/answers/p1.go (problem 1)
//	conceptual_ID.txt             conceptual/answers/answers.txt (problems 3 and 5)
//	conceptual_ID_p2.md           conceptual/answers/p2.md, and _p4.md, _p6.md likewise
//
// Grading recognises these names, wherever the answer files are (at the
// top level, as the kit's zips had them before the PDF, or in
// ID_answers/), and task 3 as the kit's two files
// (lenet.go and train.go, with or without the _ID suffix); a file named
// otherwise that can still be identified (a Go file by its package
// clause, the answers file by its keys, a Markdown file by p2/p4/p6 in
// its name) is graded and flagged, and every missing file is reported.
// The PDF is not graded (it is for the course's hand graders); a
// submission without one is flagged no-pdf.
//
// # Who a submission belongs to
//
// A submission's ID comes from its zip's or folder's name (loose files:
// from each file's name), never from the files inside: a file naming
// another student's ID is graded as part of the submission it is in and
// flagged, and the other student's results are not touched. A zip or
// folder without an ID in its name is graded under a key derived from its
// name (unique in the folder, flagged no-id), never merged with another.
// Results live in students/<folder>/, the folder being the ID itself or,
// for a key with characters unsafe in a folder name, a cleaned-up name
// with a short hash of the key, so two keys never share a folder.
package grading

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"nnkit/checker/gen"
)

// Tasks are the graded task packages.
var Tasks = []string{"task1", "task2", "task3", "task4"}

// Prose are the hand-graded Markdown answers.
var Prose = []string{"p2", "p4", "p6"}

// idRE is the form of a student ID: 10 digits, as the course's.
var idRE = regexp.MustCompile(`^[0-9]{10}$`)

// ValidID says what is wrong with id, or returns nil.
func ValidID(id string) error {
	if !idRE.MatchString(id) {
		return fmt.Errorf("student ID %q is malformed: expected the 10 digits of your student number, such as 3180100111", id)
	}
	return nil
}

// ZipName is the name of id's submission.
func ZipName(id string) string { return id + "_assignment2.zip" }

// PDFName is the name of id's conceptual answers as a PDF.
func PDFName(id string) string { return "conceptual_" + id + ".pdf" }

// AnswersFolder is the folder, inside id's zip, of the answer files that
// `check grade` grades (the five files the course wants stay at the top
// level).
func AnswersFolder(id string) string { return id + "_answers" }

// answersFolderRE is the form of AnswersFolder's names.
var answersFolderRE = regexp.MustCompile(`^[0-9]{10}_answers$`)

// Part is one file of a submission: a task, the problem-1 Go file, the
// answers file, or a prose answer.
type Part string

const (
	PartP1      Part = "conceptual.go"
	PartAnswers Part = "conceptual.txt"
)

// Parts lists every part of a complete submission.
func Parts() []Part {
	var ps []Part
	for _, t := range Tasks {
		ps = append(ps, Part(t))
	}
	ps = append(ps, PartP1, PartAnswers)
	for _, p := range Prose {
		ps = append(ps, Part("conceptual_"+p+".md"))
	}
	return ps
}

// FileName is the name part p has in id's submission.
func FileName(p Part, id string) string {
	switch {
	case p == PartP1:
		return "conceptual_" + id + ".go"
	case p == PartAnswers:
		return "conceptual_" + id + ".txt"
	case strings.HasPrefix(string(p), "conceptual_"):
		prose := strings.TrimSuffix(strings.TrimPrefix(string(p), "conceptual_"), ".md")
		return "conceptual_" + id + "_" + prose + ".md"
	}
	return string(p) + "_" + id + ".go"
}

// KitPath is where part p lives in the kit (slash path from the root).
func KitPath(p Part) string {
	switch {
	case p == PartP1:
		return "conceptual/answers/p1.go"
	case p == PartAnswers:
		return "conceptual/answers/answers.txt"
	case strings.HasPrefix(string(p), "conceptual_"):
		return "conceptual/answers/" + strings.TrimPrefix(string(p), "conceptual_")
	}
	return "exercises/" + string(p)
}

var nameRE = regexp.MustCompile(`^(task[1-4]|conceptual)_([0-9]{10})(?:_(p[246]))?\.(go|txt|md)$`)

// ParseName recognises a file name of the convention: its part and the
// ID in it.
func ParseName(name string) (p Part, id string, ok bool) {
	m := nameRE.FindStringSubmatch(name)
	if m == nil {
		return "", "", false
	}
	switch {
	case m[1] != "conceptual" && m[3] == "" && m[4] == "go":
		return Part(m[1]), m[2], true
	case m[1] == "conceptual" && m[3] == "" && m[4] == "go":
		return PartP1, m[2], true
	case m[1] == "conceptual" && m[3] == "" && m[4] == "txt":
		return PartAnswers, m[2], true
	case m[1] == "conceptual" && m[3] != "" && m[4] == "md":
		return Part("conceptual_" + m[3] + ".md"), m[2], true
	}
	return "", "", false
}

// kitNameRE is one of task 3's two files as the kit has them (lenet.go,
// train.go), optionally with the student's ID.
var kitNameRE = regexp.MustCompile(`^(lenet|train)(?:_([0-9]{10}))?\.go$`)

// ParseKitName recognises task 3's files named as in the kit
// (lenet.go, train_3180100111.go): task 3 may be submitted as one file
// (task3_ID.go) or as these two. id is "" when the name holds none.
func ParseKitName(name string) (p Part, id string, ok bool) {
	m := kitNameRE.FindStringSubmatch(name)
	if m == nil {
		return "", "", false
	}
	return "task3", m[2], true
}

var looseID = regexp.MustCompile(`(?:^|[^0-9])([0-9]{10})(?:[^0-9]|$)`)

// IDIn returns a 10-digit number in name, or "".
func IDIn(name string) string {
	if m := looseID.FindStringSubmatch(name); m != nil {
		return m[1]
	}
	return ""
}

// Identify guesses the part of a file named otherwise than the
// convention says, from its content: a Go file by its package clause
// (taskN, or answers for problem 1), a text file by the keys of the
// answers file, a Markdown file by p2, p4 or p6 in its name.
func Identify(name string, content []byte) (Part, bool) {
	base := strings.ToLower(path.Base(name))
	switch {
	case strings.HasSuffix(base, "_test.go"):
		return "", false
	case strings.HasSuffix(base, ".go"):
		f, err := parser.ParseFile(token.NewFileSet(), base, content, parser.PackageClauseOnly)
		if err != nil {
			// A file that does not parse: its name may still say.
			for _, t := range Tasks {
				if strings.Contains(base, t) {
					return Part(t), true
				}
			}
			return "", false
		}
		switch pkg := f.Name.Name; {
		case pkg == "answers":
			return PartP1, true
		case strings.HasPrefix(pkg, "task") && slices.Contains(Tasks, pkg):
			return Part(pkg), true
		}
	case strings.HasSuffix(base, ".txt"):
		if bytes.Contains(content, []byte("p3.parameters")) || bytes.Contains(content, []byte("p5.W")) {
			return PartAnswers, true
		}
	case strings.HasSuffix(base, ".md"):
		for _, p := range Prose {
			if strings.Contains(base, p) {
				return Part("conceptual_" + p + ".md"), true
			}
		}
	}
	return "", false
}

// MergeGo merges the Go files of one package into one file: the package
// documentation and clause of the first file that has documentation, one
// import block with every import, then each file's declarations in the
// order given (comments kept), formatted by go/format. Task 3's lenet.go
// and train.go become task3_ID.go this way (Submit then compiles the
// package from the merged file alone).
func MergeGo(names []string, srcs [][]byte) ([]byte, error) {
	if len(srcs) == 1 {
		return srcs[0], nil
	}
	fset := token.NewFileSet()
	var doc, pkg string
	imports := map[string]string{} // by name and path: the import's text
	var bodies []string
	for i, src := range srcs {
		f, err := parser.ParseFile(fset, names[i], src, parser.ParseComments)
		if err != nil {
			return nil, fmt.Errorf("%s does not parse: %v", names[i], err)
		}
		if pkg == "" {
			pkg = f.Name.Name
		} else if f.Name.Name != pkg {
			return nil, fmt.Errorf("%s is package %s, the others package %s", names[i], f.Name.Name, pkg)
		}
		if doc == "" && f.Doc != nil {
			doc = string(src[fset.Position(f.Doc.Pos()).Offset:fset.Position(f.Doc.End()).Offset]) + "\n"
		}
		for _, im := range f.Imports {
			// One import per name and path: "math" in one file and
			// math "math" in the other bind the same name once.
			path, _ := strconv.Unquote(im.Path.Value)
			key := gen.ImportName(path) + " " + path
			if im.Name != nil {
				key = im.Name.Name + " " + path
			}
			if _, dup := imports[key]; !dup {
				imports[key] = string(src[fset.Position(im.Pos()).Offset:fset.Position(im.End()).Offset])
			}
		}
		start := fset.Position(f.Name.End()).Offset
		for _, d := range f.Decls {
			if gd, ok := d.(interface{ End() token.Pos }); ok {
				if g, isGen := d.(interface{ Pos() token.Pos }); isGen && isImportDecl(src, fset.Position(g.Pos()).Offset) {
					start = fset.Position(gd.End()).Offset
				}
			}
		}
		bodies = append(bodies, fmt.Sprintf("\n// ---- from %s ----\n%s", names[i], strings.TrimLeft(string(src[start:]), "\n")))
	}
	var ims []string
	for _, im := range imports {
		ims = append(ims, im)
	}
	sort.Strings(ims)
	var b strings.Builder
	b.WriteString(doc)
	b.WriteString("package " + pkg + "\n")
	if len(ims) > 0 {
		b.WriteString("\nimport (\n")
		for _, im := range ims {
			b.WriteString("\t" + im + "\n")
		}
		b.WriteString(")\n")
	}
	for _, body := range bodies {
		b.WriteString(body)
	}
	out, err := format.Source([]byte(b.String()))
	if err != nil {
		return nil, fmt.Errorf("merging %s gives a file that does not parse: %v", strings.Join(names, " and "), err)
	}
	return out, nil
}

// goDecls parses a Go file and returns its package name and the names it
// declares at the top level (methods as Type.Method; blank names and
// init functions left out): two files of one package may not declare the
// same name.
func goDecls(name string, src []byte) (pkg string, decls []string, err error) {
	f, err := parser.ParseFile(token.NewFileSet(), name, src, parser.SkipObjectResolution)
	if err != nil {
		return "", nil, err
	}
	add := func(n string) {
		if n != "_" {
			decls = append(decls, n)
		}
	}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			switch {
			case d.Recv != nil && len(d.Recv.List) == 1:
				add(recvType(d.Recv.List[0].Type) + "." + d.Name.Name)
			case d.Name.Name != "init":
				add(d.Name.Name)
			}
		case *ast.GenDecl:
			for _, sp := range d.Specs {
				switch sp := sp.(type) {
				case *ast.TypeSpec:
					add(sp.Name.Name)
				case *ast.ValueSpec:
					for _, n := range sp.Names {
						add(n.Name)
					}
				}
			}
		}
	}
	return f.Name.Name, decls, nil
}

// recvType is the type name of a method receiver (*T, T[P] and T give T).
func recvType(e ast.Expr) string {
	for {
		switch x := e.(type) {
		case *ast.StarExpr:
			e = x.X
		case *ast.IndexExpr:
			e = x.X
		case *ast.IndexListExpr:
			e = x.X
		case *ast.ParenExpr:
			e = x.X
		case *ast.Ident:
			return x.Name
		default:
			return "?"
		}
	}
}

func isImportDecl(src []byte, off int) bool {
	return bytes.HasPrefix(src[off:], []byte("import"))
}
