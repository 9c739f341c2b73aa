package conceptual

import (
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDocsQuoteExamples keeps docs/conceptual honest: the text between
// <!-- output: Example_name --> and <!-- end --> on a page (unwrapped from
// a ```text fence if it has one; Markdown tables are quoted bare so they
// render) must be, verbatim, the // Output: of that Example test, which
// `go test` checks against the code. Every Example must be quoted.
func TestDocsQuoteExamples(t *testing.T) {
	fset := token.NewFileSet()
	names, err := filepath.Glob("*_test.go")
	if err != nil || len(names) == 0 {
		t.Fatalf("test files of this package: %v (%v)", names, err)
	}
	var files []*ast.File
	for _, name := range names {
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	outputs := map[string]string{}
	for _, ex := range doc.Examples(files...) {
		outputs["Example"+ex.Name] = ex.Output
	}
	pages, err := filepath.Glob(filepath.Join("..", "docs", "conceptual", "*.md"))
	if err != nil || len(pages) != 6 {
		t.Fatalf("want 6 pages in docs/conceptual, found %v (%v)", pages, err)
	}
	marker := regexp.MustCompile("(?s)<!-- output: (\\w+) -->\n(.*?)<!-- end -->")
	quoted := map[string]bool{}
	for _, page := range pages {
		src, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range marker.FindAllStringSubmatch(string(src), -1) {
			want, ok := outputs[m[1]]
			if !ok {
				t.Errorf("%s quotes %s, which is not an Example of this package", page, m[1])
				continue
			}
			quoted[m[1]] = true
			got := strings.TrimSpace(m[2])
			if strings.HasPrefix(got, "```text\n") && strings.HasSuffix(got, "```") {
				got = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(got, "```text\n"), "```"))
			}
			if got != strings.TrimSpace(want) {
				t.Errorf("%s: the block of %s is not its output; it should read:\n%s", page, m[1], want)
			}
		}
	}
	for name := range outputs {
		if !quoted[name] {
			t.Errorf("%s is quoted by no page of docs/conceptual", name)
		}
	}
}
