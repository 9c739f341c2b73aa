package progress

import "fmt"

// EpochStats is one epoch of a training run's history, as task 3's
// TrainCNN returns it: the figures the d2l book's train_ch6 printed and
// plotted. It lives here rather than in the task packages so that the
// reference solution, a student's exercise and the checker share one
// type.
type EpochStats struct {
	Epoch          int     // 1-based
	Loss           float64 // mean training loss over the epoch's examples
	TrainAcc       float64 // fraction of training examples predicted right during the epoch
	TestAcc        float64 // test accuracy after the epoch, in evaluation mode
	ExamplesPerSec float64 // training examples per second of training-step time
	Device         string  // the device's name, such as "cpu"
}

// String formats the epoch as train_ch6 printed its final line.
func (s EpochStats) String() string {
	return fmt.Sprintf("epoch %d: loss %.3f, train acc %.3f, test acc %.3f, %.1f examples/sec on %s",
		s.Epoch, s.Loss, s.TrainAcc, s.TestAcc, s.ExamplesPerSec, s.Device)
}
