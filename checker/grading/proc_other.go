//go:build !unix

package grading

import "os/exec"

func ownGroup(cmd *exec.Cmd) {}
