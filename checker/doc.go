// Package checker scores a student's task package against the reference
// solutions and renders the rubric table.
package checker
