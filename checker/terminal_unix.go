//go:build unix

package checker

import (
	"os"

	"golang.org/x/sys/unix"
)

// terminalWidth asks the terminal behind f how many columns it has.
func terminalWidth(f *os.File) (int, bool) {
	ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ)
	if err != nil || ws.Col == 0 {
		return 0, false
	}
	return int(ws.Col), true
}
