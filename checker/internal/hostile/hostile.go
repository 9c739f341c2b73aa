// Package hostile reads the cases of the checker's hostile-submission
// corpus (checker/testdata/hostile): a header of "key: value" lines (and
// "want ITEM ..." lines) in prose, then "-- dir/file.go --" sections
// holding the files the attack adds to, or puts in place of, its base
// folder. The checker's tests grade each case with Check, check grade's
// tests grade the whole corpus as submissions; both read it here.
package hostile

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Case is one attack.
type Case struct {
	Name string // the file's name without .txt
	// Header maps each key to its values, in order: "base", "timeout",
	// "unsafe", "no-survivor", "want-all", "want-rest", ... from
	// "key: value" lines, and "want" from "want ITEM ..." lines.
	Header map[string][]string
	// Files maps each section's path ("task1/evil.go") to its text.
	Files map[string]string
}

// Get returns the header's first value for key, or "".
func (c Case) Get(key string) string {
	if v := c.Header[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

var sectionRE = regexp.MustCompile(`(?m)^-- (\S+) --$`)

// headerRE matches a header line: "key: value", or "want ITEM ...".
var headerRE = regexp.MustCompile(`^(want|[a-z][a-z-]*):? ?(.*)$`)

// Read reads the case at path.
func Read(path string) (Case, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Case{}, err
	}
	text := string(b)
	c := Case{Name: strings.TrimSuffix(filepath.Base(path), ".txt"), Header: map[string][]string{}, Files: map[string]string{}}
	locs := sectionRE.FindAllStringSubmatchIndex(text, -1)
	if len(locs) == 0 {
		return Case{}, fmt.Errorf("%s: no \"-- file --\" section: a case holds at least one file", path)
	}
	for i, l := range locs {
		end := len(text)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		c.Files[text[l[2]:l[3]]] = text[min(l[1]+1, end):end]
	}
	for _, line := range strings.Split(text[:locs[0][0]], "\n") {
		key, value, ok := strings.Cut(line, ":")
		switch {
		case strings.HasPrefix(line, "want "):
			c.Header["want"] = append(c.Header["want"], strings.TrimSpace(strings.TrimPrefix(line, "want ")))
		case ok && headerRE.MatchString(line) && !strings.Contains(key, " "):
			c.Header[key] = append(c.Header[key], strings.TrimSpace(value))
		}
	}
	if c.Get("base") == "" {
		return Case{}, fmt.Errorf("%s: no base: line", path)
	}
	return c, nil
}
