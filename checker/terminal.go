package checker

import (
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/mattn/go-isatty"
)

// DefaultWidth is the table's width when nothing says how wide the
// output is: the classic terminal's.
const DefaultWidth = 80

// TerminalOptions chooses how to render for w: its width when it is a
// terminal, else $COLUMNS, else DefaultWidth; colour only on a terminal
// and only while NO_COLOR is unset or empty (https://no-color.org).
func TerminalOptions(w io.Writer) RenderOptions {
	return terminalOptions(w, os.Getenv)
}

// terminalOptions is TerminalOptions with the environment given, for
// the tests.
func terminalOptions(w io.Writer, getenv func(string) string) RenderOptions {
	opt := RenderOptions{Width: DefaultWidth}
	if cols, err := strconv.Atoi(strings.TrimSpace(getenv("COLUMNS"))); err == nil && cols > 0 {
		opt.Width = cols
	}
	f, ok := w.(*os.File)
	term := ok && isatty.IsTerminal(f.Fd())
	if term {
		if cols, ok := terminalWidth(f); ok {
			opt.Width = cols // the terminal knows better than a stale $COLUMNS
		}
	}
	opt.Color = term && getenv("NO_COLOR") == ""
	return opt
}
