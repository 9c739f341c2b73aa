package checker

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
)

// The rules on the folder and on each file as a whole: what the go
// command would build beside the Go files, which files it would skip or
// add on some platform, directives, and package clauses. Each of these
// changes what is built or lets code reach past Go's rules, so none can
// be charged to one item: they cost the whole task.

// stray is a folder entry the rules refuse.
type stray struct {
	name string
	kind strayKind
}

type strayKind int

const (
	straySource strayKind = iota // non-Go source the go command compiles or links
	strayModule                  // go.mod, go.sum, go.work
	strayVendor                  // vendor/
	strayLink                    // a link or other non-regular file where a source is expected
)

// nonGoSources are the extensions of the files, other than .go, that the
// go command compiles or links into a package (go/build's lists: cgo,
// assembly, SWIG, object files).
var nonGoSources = map[string]bool{
	".c": true, ".cc": true, ".cpp": true, ".cxx": true, ".m": true,
	".h": true, ".hh": true, ".hpp": true, ".hxx": true,
	".f": true, ".F": true, ".for": true, ".f90": true,
	".s": true, ".S": true, ".sx": true,
	".swig": true, ".swigcxx": true, ".syso": true,
}

var moduleFiles = map[string]bool{"go.mod": true, "go.sum": true, "go.work": true, "go.work.sum": true}

// sortEntry files one folder entry under the field of p it belongs to and
// reports whether it is a Go source to parse.
func (p *pkgSource) sortEntry(e fs.DirEntry) bool {
	name := e.Name()
	ext := filepath.Ext(name)
	switch {
	case name == "vendor": // a folder, or a link to one
		p.strays = append(p.strays, stray{name + "/", strayVendor})
		return false
	case e.IsDir():
		return false
	case strings.HasPrefix(name, "_") || strings.HasPrefix(name, "."):
		// go build skips these (editor lock and backup files among them).
		if ext == ".go" {
			p.ignored = append(p.ignored, name)
		}
		return false
	case strings.HasSuffix(name, "_test.go"):
		p.tests = append(p.tests, name)
		return false
	case moduleFiles[name]:
		p.strays = append(p.strays, stray{name, strayModule})
		return false
	case nonGoSources[ext]:
		p.strays = append(p.strays, stray{name, straySource})
		return false
	case ext != ".go":
		return false
	case !e.Type().IsRegular():
		// A link could point at the reference solution or anywhere else
		// the grader can read.
		p.strays = append(p.strays, stray{name, strayLink})
		return false
	}
	return true
}

// checkFolder turns what parsePackage found beside the Go files into
// violations: strays cost the whole task, skipped files are notes.
func checkFolder(t *Task, p *pkgSource) []violation {
	var vs []violation
	for _, s := range p.strays {
		var reason string
		switch s.kind {
		case straySource:
			reason = fmt.Sprintf("%s: assembly, C and other non-Go files (.s, .c, .h, .syso, ...) are not allowed in the %s folder, since they would be built into your package outside Go's rules; remove the file", s.name, t.Name)
		case strayModule:
			reason = fmt.Sprintf("%s: the %s folder must not have its own %s (the task is part of the kit's module); remove the file", s.name, t.Name, s.name)
		case strayVendor:
			reason = fmt.Sprintf("%s: a vendor folder would replace the kit's packages with your copies; remove the folder", s.name)
		case strayLink:
			reason = fmt.Sprintf("%s is a link (or not a regular file); put the file itself in the folder", s.name)
		}
		vs = append(vs, violation{status: RuleBroken, reason: reason, wholeTask: true})
	}
	if len(p.ignored) > 0 {
		vs = append(vs, violation{status: Pass, reason: fmt.Sprintf(
			"ignored %s: go build skips files whose names start with _ or ., and so does the checker",
			strings.Join(p.ignored, ", "))})
	}
	return vs
}

// checkFiles checks each Go file as a whole: its name and build
// constraints (the same files must be built on every machine), its
// directives, and its package clause.
func checkFiles(t *Task, p *pkgSource) []violation {
	var vs []violation
	whole := func(format string, args ...any) {
		vs = append(vs, violation{status: RuleBroken, reason: fmt.Sprintf(format, args...), wholeTask: true})
	}
	names := make([]string, 0, len(p.files))
	for n := range p.files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		f := p.files[name]
		if suffix := nameConstraint(name); suffix != "" {
			whole("file name %s: the %s suffix is a build constraint, so go build would leave the file out on other systems or processors; rename it to %s",
				name, suffix, strings.Replace(name, suffix+".", ".", 1))
		}
		pkgLine := p.fset.Position(f.ast.Package).Line
		for _, cg := range f.ast.Comments {
			for _, c := range cg.List {
				line := p.fset.Position(c.Pos()).Line
				text := c.Text
				word, _, _ := strings.Cut(text, " ")
				switch {
				case strings.HasPrefix(text, "//go:build") || (plusBuild(text) && line < pkgLine):
					whole("build constraint %q at %s:%d: it makes go build leave the file out (or put it in) depending on the system or build tags, so what is graded could differ from what you ran; remove the line",
						text, name, line)
				case word == "//go:linkname":
					whole("%s at %s:%d: //go:linkname reaches into other packages' private code and is not allowed; remove the line", word, name, line)
				case word == "//go:embed":
					whole("%s at %s:%d: embedding files is not allowed (the graded package is your Go code only); remove the line", word, name, line)
				case strings.HasPrefix(text, "//go:"):
					whole("%s at %s:%d: compiler directives (//go: comments) are not allowed in a task; remove the line", word, name, line)
				case strings.HasPrefix(text, "//line ") || strings.HasPrefix(text, "/*line "):
					whole("line directive at %s:%d: it changes the file names and lines the compiler reports, which the checker relies on; remove it", name, line)
				}
			}
		}
		if got, want := f.ast.Name.Name, t.PackageName(); got != want {
			whole("package clause at %s:%d says package %s, but every file of %s must say package %s; change the first line to: package %s",
				name, pkgLine, got, t.Name, want, want)
		}
	}
	return vs
}

// plusBuild reports whether a comment is an old-style "// +build" line,
// which go build still honours above the package clause.
func plusBuild(text string) bool {
	rest, ok := strings.CutPrefix(text, "//")
	return ok && strings.HasPrefix(strings.TrimSpace(rest), "+build")
}

// nameConstraint returns the _GOOS, _GOARCH or _GOOS_GOARCH suffix that
// makes go build take a file on some platforms only (go/build's
// goodOSArchFile), or "".
func nameConstraint(name string) string {
	stem, _, _ := strings.Cut(name, ".")
	i := strings.Index(stem, "_")
	if i < 0 {
		return ""
	}
	l := strings.Split(stem[i:], "_")
	if n := len(l); n > 0 && l[n-1] == "test" {
		l = l[:n-1]
	}
	n := len(l)
	if n >= 2 && knownOS[l[n-2]] && knownArch[l[n-1]] {
		return "_" + l[n-2] + "_" + l[n-1]
	}
	if n >= 1 && (knownOS[l[n-1]] || knownArch[l[n-1]]) {
		return "_" + l[n-1]
	}
	return ""
}

// knownOS and knownArch are go/build's lists (internal/syslist), which
// it also applies to names of systems Go does not support yet.
var knownOS = setOf("aix", "android", "darwin", "dragonfly", "freebsd", "hurd", "illumos", "ios", "js",
	"linux", "nacl", "netbsd", "openbsd", "plan9", "solaris", "wasip1", "windows", "zos")

var knownArch = setOf("386", "amd64", "amd64p32", "arm", "armbe", "arm64", "arm64be", "loong64",
	"mips", "mipsle", "mips64", "mips64le", "mips64p32", "mips64p32le", "ppc", "ppc64", "ppc64le",
	"riscv", "riscv64", "s390", "s390x", "sparc", "sparc64", "wasm")

func setOf(xs ...string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}
