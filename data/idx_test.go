package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// idxBytes builds an IDX file: the magic number, the dimension sizes and
// the payload.
func idxBytes(magic uint32, dims []uint32, payload []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, magic)
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, d)
	}
	return append(b, payload...)
}

func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Two 2x3 images and their labels.
var (
	smallImages = idxBytes(MagicImages, []uint32{2, 2, 3}, []byte{0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255})
	smallLabels = idxBytes(MagicLabels, []uint32{2}, []byte{9, 0})
)

func TestReadIDXValid(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want *IDX
	}{
		{"raw images", smallImages, &IDX{Dims: []int{2, 2, 3}, Data: []byte{0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255}}},
		{"gzip images", gz(t, smallImages), &IDX{Dims: []int{2, 2, 3}, Data: []byte{0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255}}},
		{"raw labels", smallLabels, &IDX{Dims: []int{2}, Data: []byte{9, 0}}},
		{"gzip labels", gz(t, smallLabels), &IDX{Dims: []int{2}, Data: []byte{9, 0}}},
		{"no labels", idxBytes(MagicLabels, []uint32{0}, nil), &IDX{Dims: []int{0}, Data: []byte{}}},
		{"matrix 0x0802", idxBytes(0x0802, []uint32{1, 2}, []byte{7, 8}), &IDX{Dims: []int{1, 2}, Data: []byte{7, 8}}},
		// Concatenated gzip members are one stream (as gzip -d reads them).
		{"two gzip members", append(gz(t, smallLabels[:6]), gz(t, smallLabels[6:])...), &IDX{Dims: []int{2}, Data: []byte{9, 0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadIDX(bytes.NewReader(tt.in))
			if err != nil {
				t.Fatalf("ReadIDX: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ReadIDX mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadIDXErrors(t *testing.T) {
	gzLabels := gz(t, smallLabels)
	noise := make([]byte, 5000) // incompressible, so half the stream is half the payload
	for i := range noise {
		noise[i] = byte(i * i * 7919 >> 3)
	}
	bigGz := gz(t, idxBytes(MagicLabels, []uint32{5000}, noise))
	badCRC := bytes.Clone(gzLabels)
	badCRC[len(badCRC)-5] ^= 0xff // last byte of the CRC-32 trailer
	tests := []struct {
		name string
		in   []byte
		want string // a substring of the error
	}{
		{"empty", nil, "truncated header: expected a 4-byte magic number, found 0 bytes"},
		{"two bytes", []byte{0, 0}, "expected a 4-byte magic number, found 2 bytes"},
		{"zip file", []byte("PK\x03\x04rest"), "magic number 0x504b0304 does not start with two zero bytes"},
		{"float elements", idxBytes(0x0D03, []uint32{1, 1, 1}, make([]byte, 4)), "element type 0x0d (float32) is not supported, expected 0x08"},
		{"zero dims", idxBytes(0x0800, nil, nil), "declares 0 dimensions, expected 1 to 4"},
		{"five dims", idxBytes(0x0805, []uint32{1, 1, 1, 1, 1}, []byte{1}), "declares 5 dimensions, expected 1 to 4"},
		{"truncated dims", idxBytes(MagicImages, []uint32{2, 2}, nil), "expected 3 dimension sizes (12 bytes), found 8 bytes"},
		{"absurd size", idxBytes(MagicImages, []uint32{60000, 60000, 28}, nil), "declare more than 2147483648 payload bytes"},
		{"absurd empty", idxBytes(MagicImages, []uint32{0, 1 << 20, 1 << 20}, nil), "declare more than 2147483648 payload bytes"},
		{"absurd labels", idxBytes(MagicLabels, []uint32{0xffffffff}, nil), "declare more than 2147483648 payload bytes"},
		{"truncated payload", smallImages[:len(smallImages)-5], "truncated payload: expected 12 bytes, found 7"},
		{"truncated gzip payload", bigGz[:len(bigGz)/2], "truncated payload: expected 5000 bytes, found "},
		{"truncated gzip trailer", gzLabels[:len(gzLabels)-4], "after the 2-byte payload: unexpected EOF"},
		{"trailing garbage", append(bytes.Clone(smallLabels), 1, 2, 3), "expected exactly 2 payload bytes, found 3 extra bytes"},
		{"trailing garbage in gzip", gz(t, append(bytes.Clone(smallLabels), 0)), "expected exactly 2 payload bytes, found 1 extra bytes"},
		{"bad gzip checksum", badCRC, "after the 2-byte payload: gzip: invalid checksum"},
		{"bad gzip header", []byte{0x1f, 0x8b, 0, 0}, "reading gzip header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadIDX(bytes.NewReader(tt.in))
			if err == nil {
				t.Fatalf("ReadIDX accepted the input: %v", got.Dims)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ReadIDX error = %q\nwant it to contain %q", err, tt.want)
			}
		})
	}
}

func TestWriteIDX(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteIDX(&buf, &IDX{Dims: []int{2, 2, 3}, Data: []byte{0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255}}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), smallImages) {
		t.Errorf("WriteIDX wrote % x\nwant % x", buf.Bytes(), smallImages)
	}
	bad := []struct {
		name string
		x    *IDX
		want string
	}{
		{"no dims", &IDX{}, "cannot write 0 dimensions"},
		{"negative", &IDX{Dims: []int{-1}}, "size -1"},
		{"short data", &IDX{Dims: []int{2, 3}, Data: []byte{1}}, "need 6 payload bytes, found 1"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := WriteIDX(&buf, tt.x)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("WriteIDX error = %v, want it to contain %q", err, tt.want)
			}
			if buf.Len() != 0 {
				t.Errorf("WriteIDX wrote %d bytes before failing", buf.Len())
			}
		})
	}
}

// FuzzReadIDX checks that ReadIDX never panics and that whatever it
// accepts is self-consistent: the payload is the product of the
// dimensions, and writing it back gives a file that reads the same (and,
// for raw input, the very same bytes).
func FuzzReadIDX(f *testing.F) {
	f.Add(smallImages)
	f.Add(smallLabels)
	f.Add(gz(f, smallImages))
	f.Add(gz(f, smallLabels))
	f.Add(smallImages[:len(smallImages)-1])
	f.Add(append(bytes.Clone(smallLabels), 0))
	f.Add(idxBytes(0x0D03, []uint32{1, 1, 1}, make([]byte, 4)))
	f.Add(idxBytes(MagicImages, []uint32{60000, 60000, 28}, nil))
	f.Add(idxBytes(MagicImages, []uint32{1 << 20, 28, 28}, []byte{1, 2, 3}))
	f.Add([]byte{0x1f, 0x8b})
	f.Fuzz(func(t *testing.T, in []byte) {
		x, err := ReadIDX(bytes.NewReader(in))
		if err != nil {
			return
		}
		if len(x.Dims) < 1 || len(x.Dims) > MaxIDXDims {
			t.Fatalf("accepted %d dimensions", len(x.Dims))
		}
		n := 1
		for _, d := range x.Dims {
			n *= d
		}
		if n != len(x.Data) {
			t.Fatalf("dimensions %v hold %d bytes, payload has %d", x.Dims, n, len(x.Data))
		}
		var buf bytes.Buffer
		if err := WriteIDX(&buf, x); err != nil {
			t.Fatalf("WriteIDX of an accepted file: %v", err)
		}
		if len(in) >= 2 && !(in[0] == 0x1f && in[1] == 0x8b) && !bytes.Equal(buf.Bytes(), in) {
			t.Fatalf("raw input % x rewritten as % x", in, buf.Bytes())
		}
		y, err := ReadIDX(&buf)
		if err != nil {
			t.Fatalf("re-reading a written file: %v", err)
		}
		if diff := cmp.Diff(x, y); diff != "" {
			t.Fatalf("round trip mismatch (-read +reread):\n%s", diff)
		}
	})
}
