package data

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
)

// IDX magic numbers of the two kinds of file Fashion-MNIST ships. An IDX
// magic number is two zero bytes, an element-type code (0x08: unsigned
// byte) and the number of dimensions.
const (
	MagicLabels = 0x00000801 // unsigned bytes, 1 dimension: the labels
	MagicImages = 0x00000803 // unsigned bytes, 3 dimensions: N x rows x cols
)

// Limits ReadIDX enforces before it allocates anything.
const (
	// MaxIDXBytes caps the payload size an IDX header may declare. The
	// full Fashion-MNIST training images are 47,040,000 bytes.
	MaxIDXBytes = 1 << 31
	// MaxIDXDims caps the number of dimensions an IDX header may declare.
	MaxIDXDims = 4
)

// idxTypeUint8 is the IDX element-type code of unsigned bytes, the only
// element type ReadIDX accepts.
const idxTypeUint8 = 0x08

// readChunk is the most ReadIDX allocates ahead of the data actually
// read, so that a short file that declares a huge payload costs little.
const readChunk = 16 << 20

// IDX is the content of an IDX file of unsigned bytes (the format of the
// MNIST and Fashion-MNIST files): its dimensions, outermost first, and its
// payload in row-major order. len(Data) is always the product of Dims.
type IDX struct {
	Dims []int
	Data []byte
}

// Magic returns the IDX magic number of x: 0x0000_08_nn, with nn the
// number of dimensions.
func (x *IDX) Magic() uint32 { return idxTypeUint8<<8 | uint32(len(x.Dims)) }

// ReadIDX reads one IDX file of unsigned bytes from r, raw or
// gzip-compressed (recognised by the gzip magic bytes 1f 8b).
//
// It checks, in this order: the magic number (element type 0x08, between
// 1 and MaxIDXDims dimensions), that the product of the non-zero
// dimensions is at most MaxIDXBytes, that exactly that many payload bytes follow the header,
// and that nothing follows the payload. Every error says what was
// expected and what was found.
func ReadIDX(r io.Reader) (*IDX, error) {
	br := bufio.NewReader(r)
	src := io.Reader(br)
	if head, _ := br.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("idx: reading gzip header: %w", err)
		}
		defer zr.Close()
		src = zr
	}

	var hdr [4]byte
	if n, err := io.ReadFull(src, hdr[:]); err != nil {
		return nil, fmt.Errorf("idx: truncated header: expected a 4-byte magic number, found %d bytes (%v)", n, err)
	}
	magic := binary.BigEndian.Uint32(hdr[:])
	if hdr[0] != 0 || hdr[1] != 0 {
		return nil, fmt.Errorf("idx: not an IDX file: magic number 0x%08x does not start with two zero bytes (expected 0x%08x for labels or 0x%08x for images)", magic, MagicLabels, MagicImages)
	}
	if hdr[2] != idxTypeUint8 {
		return nil, fmt.Errorf("idx: magic number 0x%08x: element type 0x%02x (%s) is not supported, expected 0x08 (unsigned byte)", magic, hdr[2], idxTypeName(hdr[2]))
	}
	ndims := int(hdr[3])
	if ndims < 1 || ndims > MaxIDXDims {
		return nil, fmt.Errorf("idx: magic number 0x%08x declares %d dimensions, expected 1 to %d", magic, ndims, MaxIDXDims)
	}

	dimBytes := make([]byte, 4*ndims)
	if n, err := io.ReadFull(src, dimBytes); err != nil {
		return nil, fmt.Errorf("idx: truncated header: expected %d dimension sizes (%d bytes), found %d bytes", ndims, 4*ndims, n)
	}
	// The product of the non-zero dimensions is capped, not just the
	// payload size, so that no product of any dimensions can overflow
	// later even when one dimension is 0.
	dims := make([]int, ndims)
	size, nonZero := int64(1), int64(1)
	for i := range dims {
		d := int64(binary.BigEndian.Uint32(dimBytes[4*i:]))
		dims[i] = int(d)
		size *= d
		if d != 0 {
			nonZero *= d // at most 2^31 * 2^32 before the check: no overflow
		}
		if nonZero > MaxIDXBytes {
			return nil, fmt.Errorf("idx: dimensions %v declare more than %d payload bytes (the limit MaxIDXBytes)", dimsOf(dimBytes), int64(MaxIDXBytes))
		}
	}

	data, err := readExactly(src, size)
	if err != nil {
		return nil, fmt.Errorf("idx: dimensions %v: %w", dims, err)
	}
	// Anything after the payload is an error. Reading on to EOF also makes
	// the gzip reader verify its CRC-32 and length trailer.
	extra, err := io.CopyN(io.Discard, src, readChunk)
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("idx: after the %d-byte payload: %w", size, err)
	}
	if extra > 0 {
		more := ""
		if extra == readChunk {
			more = "at least "
		}
		return nil, fmt.Errorf("idx: dimensions %v: expected exactly %d payload bytes, found %s%d extra bytes after them", dims, size, more, extra)
	}
	return &IDX{Dims: dims, Data: data}, nil
}

// readExactly reads exactly size bytes from r, growing its buffer as data
// arrives rather than trusting the declared size up front.
func readExactly(r io.Reader, size int64) ([]byte, error) {
	data := make([]byte, 0, min(size, readChunk))
	for int64(len(data)) < size {
		if len(data) == cap(data) {
			data = slices.Grow(data, int(min(size-int64(len(data)), int64(len(data)))))
		}
		n, err := r.Read(data[len(data):min(int64(cap(data)), size)])
		data = data[:len(data)+n]
		if err == nil {
			continue
		}
		if err == io.EOF {
			break
		}
		switch {
		case int64(len(data)) == size: // e.g. a bad gzip trailer
			return nil, fmt.Errorf("after the %d-byte payload: %w", size, err)
		case errors.Is(err, io.ErrUnexpectedEOF): // a truncated gzip stream
			return nil, fmt.Errorf("truncated payload: expected %d bytes, found %d before the compressed stream ended early", size, len(data))
		default:
			return nil, fmt.Errorf("reading payload after %d of %d bytes: %w", len(data), size, err)
		}
	}
	if int64(len(data)) < size {
		return nil, fmt.Errorf("truncated payload: expected %d bytes, found %d", size, len(data))
	}
	return data, nil
}

// dimsOf decodes big-endian uint32 dimension sizes for an error message.
func dimsOf(b []byte) []uint32 {
	d := make([]uint32, len(b)/4)
	for i := range d {
		d[i] = binary.BigEndian.Uint32(b[4*i:])
	}
	return d
}

func idxTypeName(t byte) string {
	switch t {
	case 0x08:
		return "unsigned byte"
	case 0x09:
		return "signed byte"
	case 0x0B:
		return "int16"
	case 0x0C:
		return "int32"
	case 0x0D:
		return "float32"
	case 0x0E:
		return "float64"
	}
	return "unknown"
}

// WriteIDX writes x to w as a raw (uncompressed) IDX file. It returns an
// error, writing nothing, when x is not self-consistent: between 1 and
// MaxIDXDims dimensions whose non-zero ones multiply to at most
// MaxIDXBytes, and len(x.Data) equal to their product.
func WriteIDX(w io.Writer, x *IDX) error {
	if len(x.Dims) < 1 || len(x.Dims) > MaxIDXDims {
		return fmt.Errorf("idx: cannot write %d dimensions, expected 1 to %d", len(x.Dims), MaxIDXDims)
	}
	size, nonZero := int64(1), int64(1)
	hdr := make([]byte, 4+4*len(x.Dims))
	binary.BigEndian.PutUint32(hdr, x.Magic())
	for i, d := range x.Dims {
		if d < 0 || int64(d) > MaxIDXBytes {
			return fmt.Errorf("idx: cannot write dimension %d of size %d, expected 0 to %d", i, d, int64(MaxIDXBytes))
		}
		binary.BigEndian.PutUint32(hdr[4+4*i:], uint32(d))
		size *= int64(d)
		if d != 0 {
			nonZero *= int64(d)
		}
		if nonZero > MaxIDXBytes {
			return fmt.Errorf("idx: cannot write dimensions %v: more than %d payload bytes", x.Dims, int64(MaxIDXBytes))
		}
	}
	if int64(len(x.Data)) != size {
		return fmt.Errorf("idx: dimensions %v need %d payload bytes, found %d", x.Dims, size, len(x.Data))
	}
	if _, err := w.Write(hdr); err != nil {
		return err
	}
	_, err := w.Write(x.Data)
	return err
}
