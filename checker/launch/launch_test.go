package launch

import "testing"

// TestUnvirtual: every spelling the go command and the runtime use for a
// student's file (the virtual folder, the overlay's copy, absolute or
// relative to the module root, and the import path's folder) comes back
// as the name the student knows.
func TestUnvirtual(t *testing.T) {
	p := &Program{Root: "/tmp/ci", Dir: "checker/zz_student", Work: "/tmp/nnkit-check-1"}
	real := map[string]string{"task1": "exercises/task1"}
	for _, tc := range []struct{ in, want string }{
		{"/tmp/ci/checker/zz_student/task1/task1.go:3:4: x", "exercises/task1/task1.go:3:4: x"},
		{"/tmp/nnkit-check-1/src/task1/task1.go:3:4: x", "exercises/task1/task1.go:3:4: x"},
		{"../nnkit-check-1/src/task1/task1.go:3:4: x", "exercises/task1/task1.go:3:4: x"},
		{"./checker/zz_student/task1/task1.go:3:4: x", "exercises/task1/task1.go:3:4: x"},
		{"checker/zz_student/task1/task1.go:3:4: x", "exercises/task1/task1.go:3:4: x"},
		{"task2/task2.go:1:1: untouched", "task2/task2.go:1:1: untouched"},
	} {
		if got := p.Unvirtual(tc.in, real); got != tc.want {
			t.Errorf("Unvirtual(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
