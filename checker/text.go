package checker

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// studentText makes a string that came from a student process (a panic's
// message and stack, its output, an error it sent, a type's name) safe
// to put in a report: at most limit bytes, no control characters (a
// terminal escape could redraw the table; only newlines and tabs stay,
// and only when multiline), valid UTF-8. Everything the student process
// says passes through it once, where it enters the checker.
func studentText(s string, limit int, multiline bool) string {
	var b strings.Builder
	for i, r := range s {
		if b.Len() >= limit {
			fmt.Fprintf(&b, "... (%d more bytes)", len(s)-i)
			break
		}
		switch {
		case r == utf8.RuneError:
			b.WriteRune('?')
		case multiline && (r == '\n' || r == '\t'):
			b.WriteRune(r)
		case r == '\n' || r == '\t':
			b.WriteRune(' ')
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029':
			fmt.Fprintf(&b, "\\x%02x", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Limits of what a student process's words take in a report.
const (
	maxStudentLine  = 2000
	maxStudentBlock = 16 << 10
)

// sourceFuncName turns the name the Go runtime gives a function in a
// stack trace into the name the student wrote: a closure is named
// after the function it is written in (Train.func1, Train.func1.2), the
// body of a range-over-func loop too (TrainCNN-range1,
// TrainCNN-range1.func1), and a go or defer statement's wrapper
// (Train.gowrap1) likewise. Methods keep their receiver
// ((*Residual).Forward).
func sourceFuncName(name string) string {
	var kept []string
	for part := range strings.SplitSeq(name, ".") {
		base, _, ranged := strings.Cut(part, "-range")
		if compilerPartRE.MatchString(base) {
			break
		}
		kept = append(kept, base)
		if ranged {
			break
		}
	}
	if len(kept) == 0 {
		return name
	}
	return strings.Join(kept, ".")
}

// compilerPartRE matches a part of a function's name that the compiler
// made up: closures, go and defer wrappers, nested closures' numbers.
var compilerPartRE = regexp.MustCompile(`^(func|gowrap|deferwrap)?\d+$`)
