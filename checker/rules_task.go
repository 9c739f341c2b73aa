package checker

import (
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// taskOf says which task the package in dir is: the folder's name when it
// is a task's, else the package clause its files agree on. The folder
// comes first so that files claiming another task (task 1's code sent
// with "package task2") are graded as the folder's task, where the rules
// refuse the clause, instead of as the task they claim.
func taskOf(dir string) (*Task, error) {
	p, err := parsePackage(dir)
	if p == nil {
		return nil, err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if t := LookupTask(filepath.Base(abs)); t != nil {
		return t, nil
	}
	clauses := map[string][]string{} // package name -> files
	for name, f := range p.files {
		clauses[f.ast.Name.Name] = append(clauses[f.ast.Name.Name], name)
	}
	if len(clauses) > 1 {
		var says []string
		for pkg, files := range clauses {
			sort.Strings(files)
			says = append(says, fmt.Sprintf("%s says package %s", strings.Join(files, ", "), pkg))
		}
		sort.Strings(says)
		return nil, fmt.Errorf("%s: the files disagree on the package (%s): every file of a task says the same package, e.g. package task1", dir, strings.Join(says, "; "))
	}
	if t := LookupTask(p.name); t != nil {
		return t, nil
	}
	var names []string
	for _, t := range Tasks() {
		names = append(names, t.Name)
	}
	slices.Sort(names)
	return nil, fmt.Errorf("%s: package %s is not a task (expected one of %s)", dir, p.name, strings.Join(names, ", "))
}
