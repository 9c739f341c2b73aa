//go:build !unix

package checker

import "os"

// terminalWidth is unknown here: $COLUMNS or the default width apply.
func terminalWidth(*os.File) (int, bool) { return 0, false }
