package nn

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"

	"nnkit/tensor"
)

// Limits of the state file format; see WriteState.
const (
	stateMagic   = "NNKT"
	stateVersion = 1
	maxNameLen   = 4096
	maxDims      = 16
)

// ErrFormat is wrapped by every error Load returns for a file that is not a
// well-formed state file (wrong magic, unknown version, truncated, corrupt).
var ErrFormat = errors.New("not a valid nnkit state file")

// Save writes m's parameters and buffers to path atomically: the data goes
// to a temporary file in the same directory that is renamed over path only
// once it is complete and synced, so path never holds a half-written file.
func Save(path string, m Module) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return fmt.Errorf("nn: save %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err = WriteState(f, m); err != nil {
		return fmt.Errorf("nn: save %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("nn: save %s: %w", path, err)
	}
	if err = f.Chmod(0o644); err != nil {
		return fmt.Errorf("nn: save %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("nn: save %s: %w", path, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("nn: save %s: %w", path, err)
	}
	return nil
}

// Load reads a file written by Save into m. It checks every name, dtype and
// shape against the model before copying anything, so on error m is
// unchanged.
func Load(path string, m Module) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("nn: load: %w", err)
	}
	if err := loadBytes(data, m); err != nil {
		return fmt.Errorf("nn: load %s: %w", path, err)
	}
	return nil
}

// WriteState writes m's state: the tensors of StateDict(m) in order
// (parameters and buffers), in the nnkit state format, version 1. All
// integers are little-endian:
//
//	magic    4 bytes  "NNKT"
//	version  uint32   1
//	count    uint32   number of tensors
//	count times:
//	  nameLen uint32, name (UTF-8, at most 4096 bytes), e.g. "3.weight"
//	  dtype   uint8   0 = float32, 1 = float64
//	  ndim    uint32  at most 16
//	  dims    ndim x uint64
//	  data    prod(dims) values, IEEE-754 little-endian
//	crc      uint32   CRC-32 (IEEE) of every byte before it
//
// Names are paths such as "3.weight" (see StateDict).
func WriteState(w io.Writer, m Module) error {
	state := StateDict(m)
	var buf bytes.Buffer
	buf.WriteString(stateMagic)
	put32 := func(v uint32) { buf.Write(binary.LittleEndian.AppendUint32(nil, v)) }
	put32(stateVersion)
	put32(uint32(len(state)))
	for _, s := range state {
		if len(s.Name) > maxNameLen {
			return fmt.Errorf("tensor name %.40q... is longer than %d bytes", s.Name, maxNameLen)
		}
		put32(uint32(len(s.Name)))
		buf.WriteString(s.Name)
		t := s.Tensor
		switch t.DType() {
		case tensor.Float32:
			buf.WriteByte(0)
		case tensor.Float64:
			buf.WriteByte(1)
		default:
			return fmt.Errorf("%s: unsupported dtype %v", s.Name, t.DType())
		}
		put32(uint32(t.Dim()))
		for _, d := range t.Shape() {
			buf.Write(binary.LittleEndian.AppendUint64(nil, uint64(d)))
		}
		b := buf.AvailableBuffer()
		if t.DType() == tensor.Float32 {
			for _, v := range t.Data32() {
				b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
			}
		} else {
			for _, v := range t.Data64() {
				b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
			}
		}
		buf.Write(b)
	}
	put32(crc32.ChecksumIEEE(buf.Bytes()))
	_, err := w.Write(buf.Bytes())
	return err
}

// ReadState reads state written by WriteState into m, all or nothing.
func ReadState(r io.Reader, m Module) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	return loadBytes(data, m)
}

func loadBytes(data []byte, m Module) error {
	entries, err := decodeState(data)
	if err != nil {
		return err
	}
	model := StateDict(m)
	byName := make(map[string]int, len(entries))
	for i, e := range entries {
		byName[e.name] = i
	}
	var problems []error
	used := make([]bool, len(entries))
	for _, s := range model {
		i, ok := byName[s.Name]
		if !ok {
			problems = append(problems, fmt.Errorf("layer %s: missing from the file (model has shape %v)", s.Name, s.Tensor.Shape()))
			continue
		}
		used[i] = true
		e := entries[i]
		switch {
		case !slices.Equal(e.shape, s.Tensor.Shape()):
			problems = append(problems, fmt.Errorf("layer %s: file has shape %v, model has %v", s.Name, e.shape, s.Tensor.Shape()))
		case e.dtype != s.Tensor.DType():
			problems = append(problems, fmt.Errorf("layer %s: file has dtype %v, model has %v (convert the model with nn.Cast)", s.Name, e.dtype, s.Tensor.DType()))
		}
	}
	for i, e := range entries {
		if !used[i] {
			problems = append(problems, fmt.Errorf("layer %s: in the file (shape %v) but not in the model", e.name, e.shape))
		}
	}
	if len(problems) > 0 {
		return errors.Join(problems...)
	}
	for _, s := range model {
		e := entries[byName[s.Name]]
		if e.dtype == tensor.Float32 {
			dst := s.Tensor.Data32()
			for j := range dst {
				dst[j] = math.Float32frombits(binary.LittleEndian.Uint32(e.data[4*j:]))
			}
		} else {
			dst := s.Tensor.Data64()
			for j := range dst {
				dst[j] = math.Float64frombits(binary.LittleEndian.Uint64(e.data[8*j:]))
			}
		}
	}
	return nil
}

// entry is one decoded tensor; data still holds the raw little-endian bytes.
type entry struct {
	name  string
	dtype tensor.DType
	shape []int
	data  []byte
}

// decodeState parses and checks a whole state file. It never panics and
// never allocates more than a small multiple of len(data), whatever the
// bytes say.
func decodeState(data []byte) ([]entry, error) {
	if len(data) < len(stateMagic)+12 {
		return nil, fmt.Errorf("%w: %d bytes is shorter than the header", ErrFormat, len(data))
	}
	if string(data[:4]) != stateMagic {
		return nil, fmt.Errorf("%w: magic %q, want %q", ErrFormat, data[:4], stateMagic)
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	r := reader{b: body[4:]}
	if v := r.u32(); v != stateVersion {
		return nil, fmt.Errorf("%w: version %d, this build reads version %d", ErrFormat, v, stateVersion)
	}
	if crc32.ChecksumIEEE(body) != sum {
		return nil, fmt.Errorf("%w: checksum mismatch (the file is truncated or corrupt)", ErrFormat)
	}
	count := r.u32()
	// Each entry takes at least 4+0+1+4 bytes.
	if uint64(count) > uint64(len(r.b))/9 {
		return nil, fmt.Errorf("%w: %d tensors cannot fit in %d bytes", ErrFormat, count, len(r.b))
	}
	entries := make([]entry, 0, count)
	seen := map[string]bool{}
	for i := 0; i < int(count); i++ {
		var e entry
		n := r.u32()
		if n > maxNameLen {
			return nil, fmt.Errorf("%w: tensor %d: name of %d bytes (at most %d)", ErrFormat, i, n, maxNameLen)
		}
		e.name = string(r.bytes(int(n)))
		switch r.u8() {
		case 0:
			e.dtype = tensor.Float32
		case 1:
			e.dtype = tensor.Float64
		default:
			if r.err == nil {
				return nil, fmt.Errorf("%w: tensor %q: unknown dtype code", ErrFormat, e.name)
			}
		}
		nd := r.u32()
		if nd > maxDims {
			return nil, fmt.Errorf("%w: tensor %q: %d dimensions (at most %d)", ErrFormat, e.name, nd, maxDims)
		}
		size := uint64(4)
		if e.dtype == tensor.Float64 {
			size = 8
		}
		total := size
		for range nd {
			d := r.u64()
			// Bound the product by what is left before multiplying, so it
			// can neither overflow nor ask for more memory than the file has.
			if d > uint64(len(data)) || (d > 0 && total > uint64(len(r.b))/d) {
				return nil, fmt.Errorf("%w: tensor %q: dimension %d needs more data than the file holds", ErrFormat, e.name, d)
			}
			total *= d
			e.shape = append(e.shape, int(d))
		}
		if e.shape == nil {
			e.shape = []int{}
		}
		e.data = r.bytes(int(total))
		if r.err != nil {
			return nil, fmt.Errorf("%w: tensor %d: %v", ErrFormat, i, r.err)
		}
		if seen[e.name] {
			return nil, fmt.Errorf("%w: tensor %q appears twice", ErrFormat, e.name)
		}
		seen[e.name] = true
		entries = append(entries, e)
	}
	if len(r.b) != 0 {
		return nil, fmt.Errorf("%w: %d unexpected bytes after the last tensor", ErrFormat, len(r.b))
	}
	return entries, nil
}

// reader consumes little-endian values from b; after the first short read
// err is set and every further read returns zeros.
type reader struct {
	b   []byte
	err error
}

func (r *reader) bytes(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b) {
		r.err = errors.New("unexpected end of data")
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) u8() byte {
	if b := r.bytes(1); b != nil {
		return b[0]
	}
	return 0
}

func (r *reader) u32() uint32 {
	if b := r.bytes(4); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

func (r *reader) u64() uint64 {
	if b := r.bytes(8); b != nil {
		return binary.LittleEndian.Uint64(b)
	}
	return 0
}
