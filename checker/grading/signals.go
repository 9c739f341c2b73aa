package grading

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Interrupted is the cause of a run's context cancelled by a signal
// (see StopOnSignals).
type Interrupted struct{ Signal os.Signal }

func (e Interrupted) Error() string {
	name := map[os.Signal]string{os.Interrupt: "SIGINT", syscall.SIGTERM: "SIGTERM", syscall.SIGHUP: "SIGHUP"}[e.Signal]
	if name == "" {
		name = e.Signal.String()
	}
	return "interrupted by " + name
}

// StopOnSignals returns a context that SIGINT, SIGTERM and SIGHUP cancel
// (the cause is an Interrupted naming the signal) instead of ending the
// process, so that Grade can stop its graders and their compilers, keep
// what is stored and write the summary of what is done. log, when not
// nil, hears about the signal; later signals are ignored until stop.
func StopOnSignals(parent context.Context, log io.Writer) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-ch:
			if log != nil {
				fmt.Fprintf(log, "%v: stopping the graders; what is graded is kept\n", Interrupted{s})
			}
			cancel(Interrupted{s})
		case <-done:
		}
	}()
	return ctx, func() {
		close(done)
		signal.Stop(ch)
		cancel(nil)
	}
}
