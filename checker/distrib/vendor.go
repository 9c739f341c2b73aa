package distrib

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"nnkit/checker/launch"
)

// Vendoring: the copy carries vendor/, so that it builds, vets, checks
// and builds the student's programs with no network and an empty module
// cache. The go command uses vendor/ by itself when go.mod says go 1.14
// or later and vendor/modules.txt agrees with go.mod, so neither the
// student nor the checker's builds (checker/launch, which passes no
// -mod flag) need GOFLAGS=-mod=vendor.
//
// go.mod and go.sum are the kit's own, not re-tidied for the copy: `go
// mod tidy` also resolves the tests of the dependencies (plot's image
// comparisons need modules no package of the kit imports), which are
// not in a module cache filled by building the kit, so it fails offline;
// and every module that go.mod requires provides a package the copy
// builds (TestDistribution checks it in vendor/modules.txt), so there is
// nothing to prune.

// vendorEnv is the environment of the go commands that vendor and verify
// the copy: its module, no workspace, no network, and none of the
// caller's GOFLAGS (-mod=mod, say), which would defeat the check.
func vendorEnv(extra ...string) []string {
	return append(os.Environ(), append([]string{"GOWORK=off", "GOPROXY=off", "GOFLAGS=", "GOTOOLCHAIN=local"}, extra...)...)
}

// vendorModules runs `go mod vendor` in the copy at out, from the local
// module cache, and then proves that every package of the copy, its
// tests and its GPU build included, resolves from vendor/ alone: `go
// list -deps -test` with an empty module cache.
func vendorModules(ctx context.Context, out string) error {
	goCmd := launch.GoCommand()
	cmd := exec.CommandContext(ctx, goCmd, "mod", "vendor")
	cmd.Dir, cmd.Env = out, vendorEnv()
	if b, err := cmd.CombinedOutput(); err != nil {
		modcache := "the module cache"
		if c, err := exec.Command(goCmd, "env", "GOMODCACHE").Output(); err == nil {
			modcache += " (" + strings.TrimSpace(string(c)) + ")"
		}
		return fmt.Errorf("vendoring the copy's modules with no network (go mod vendor, GOPROXY=off) failed: %v\n%s\n"+
			"expected every module of go.mod in %s: run `go mod download` in the kit with the network, then check dist again", err, strings.TrimSpace(string(b)), modcache)
	}
	empty, err := os.MkdirTemp("", "nnkit-emptymodcache-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(empty)
	for _, tags := range []string{"", "cuda"} {
		cmd := exec.CommandContext(ctx, goCmd, "list", "-deps", "-test", "-tags", tags, "./...")
		cmd.Dir, cmd.Env = out, vendorEnv("GOMODCACHE="+empty)
		if b, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("the vendored copy does not load offline (go list -deps -test -tags %q ./..., empty module cache): %v\n%s", tags, err, strings.TrimSpace(string(b)))
		}
	}
	return nil
}
