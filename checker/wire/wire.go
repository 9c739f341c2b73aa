// Package wire is the protocol between the trusted checker and a student
// process: the checker sends a call ("run Relu on this matrix"), the
// student process runs the student's function and sends back what it
// returned and what became of its arguments. Nothing else crosses.
//
// # Frames
//
// Each message is one frame: a 4-byte little-endian length, then that
// many bytes (at most MaxFrame). A frame starts with an op byte (the Op*
// and Reply* constants); the checker's first frame is OpHello with
// Version, and the student process answers ReplyHello with the same
// version, or the checker refuses to go on.
//
// # Values
//
// Values are encoded by reflection against a Go type that both sides
// know (a graded function's signature), so no type information crosses,
// only values: booleans and integers as varints, floats as their IEEE
// bits (NaN and the sign of zero survive), strings and slices with their
// length first, structs as their exported fields in order. Pointers keep
// their identity within a frame (a back-reference names an earlier one),
// so a result that is one of the arguments, or two layers that are one
// object, still are on the other side. A few types have encodings of
// their own: *mat.Dense (rows, columns, data), *tensor.Tensor (dtype,
// gradient flag, shape, data), *data.Loader (its split and
// configuration), tensor.Device (its name) and nn.Module.
//
// A module of a type the checker knows (the nn layers, Sequential, Spy)
// crosses as that type's exported fields and its mode. Any other module
// (a student's own type, such as task 4's Residual) stays in the student
// process: it crosses as a handle with its name, mode, children and own
// parameters, and arrives on the checker's side as a *RemoteModule whose
// Forward asks the student process to run the student's code.
//
// Decoding checks every length against the bytes left and never trusts
// the other side: a malformed frame is an error, not a panic and not a
// huge allocation.
package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Version is the protocol version; both sides must speak the same.
const Version = 1

// MaxFrame is the largest frame either side accepts (the embedded
// Fashion-MNIST subset is about 5 MB, a LeNet's parameters 250 kB).
const MaxFrame = 64 << 20

// Ops the checker sends.
const (
	OpHello   byte = 1 + iota // version
	OpCall                    // function name, generator state, gradient flag, arguments
	OpForward                 // module, generator state, gradient flag, input tensor
	OpInstall                 // prototype module, then named layers: a new block of the prototype's type
	OpAnswer                  // the checker's answer to a ReplyAsk: results
	OpBye                     // end of the session
)

// Replies the student process sends.
const (
	ReplyHello byte = 101 + iota // version
	ReplyOK                      // arguments after the call, results, generator state
	ReplyPanic                   // message, stack
	ReplyError                   // a message: the call could not be made or its results not sent
	ReplyAsk                     // function name, arguments: the checker answers with the reference's results
)

// What follows OpAnswer: the reference's results, or word that it gives
// none (then the student's own function runs).
const (
	AnswerResults byte = 0
	AnswerCannot  byte = 2
)

// ErrFrameTooLarge is returned for a frame over MaxFrame.
var ErrFrameTooLarge = errors.New("wire: frame larger than MaxFrame")

// WriteFrame writes b as one frame.
func WriteFrame(w io.Writer, b []byte) error {
	if len(b) > MaxFrame {
		return fmt.Errorf("%w: %d bytes", ErrFrameTooLarge, len(b))
	}
	var n [4]byte
	binary.LittleEndian.PutUint32(n[:], uint32(len(b)))
	if _, err := w.Write(n[:]); err != nil {
		return err
	}
	_, err := w.Write(b)
	return err
}

// ReadFrame reads one frame.
func ReadFrame(r io.Reader) ([]byte, error) {
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return nil, err
	}
	size := binary.LittleEndian.Uint32(n[:])
	if size > MaxFrame {
		return nil, fmt.Errorf("%w: %d bytes announced", ErrFrameTooLarge, size)
	}
	b := make([]byte, size)
	if _, err := io.ReadFull(r, b); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return b, nil
}
