package checker

import (
	"os"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

// openTerminal opens a pseudo-terminal of cols columns and returns its
// terminal side, or skips the test where there is none.
func openTerminal(t *testing.T, cols uint16) *os.File {
	t.Helper()
	ptm, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	t.Cleanup(func() { ptm.Close() })
	if err := unix.IoctlSetPointerInt(int(ptm.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Skipf("unlocking the pseudo-terminal: %v", err)
	}
	n, err := unix.IoctlGetInt(int(ptm.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Skipf("naming the pseudo-terminal: %v", err)
	}
	pts, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("opening the pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { pts.Close() })
	if err := unix.IoctlSetWinsize(int(pts.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 24, Col: cols}); err != nil {
		t.Fatalf("setting the terminal's size: %v", err)
	}
	return pts
}

// TestTerminalOptionsOnTerminal: on a terminal the width is the
// terminal's (not a stale $COLUMNS) and there is colour, unless
// NO_COLOR has any value.
func TestTerminalOptionsOnTerminal(t *testing.T) {
	tty := openTerminal(t, 67)
	for _, tc := range []struct {
		env   map[string]string
		color bool
	}{
		{nil, true},
		{map[string]string{"COLUMNS": "200"}, true},
		{map[string]string{"NO_COLOR": "1"}, false},
		{map[string]string{"NO_COLOR": "0"}, false}, // any value, per no-color.org
		{map[string]string{"NO_COLOR": ""}, true},
	} {
		got := terminalOptions(tty, func(k string) string { return tc.env[k] })
		if got.Width != 67 || got.Color != tc.color {
			t.Errorf("terminal of 67 columns with %v: %+v, want width 67, colour %v", tc.env, got, tc.color)
		}
	}
}
