package nn_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"nnkit/nn"
	"nnkit/tensor"
)

// small is a model with parameters and buffers, quick to build.
func small(c int) *nn.Sequential {
	return nn.NewSequential(nn.NewConv2d(1, c, 3, 1, 1, true), nn.NewBatchNorm2d(c), nn.NewReLU(),
		nn.NewAdaptiveAvgPool2d(1, 1), nn.NewFlatten(), nn.NewLinear(c, 2, false))
}

func stateValues(m nn.Module) [][]float64 {
	var out [][]float64
	for _, s := range nn.StateDict(m) {
		out = append(out, s.Tensor.Float64s())
	}
	return out
}

func equalState(a, b [][]float64) bool {
	return slices.EqualFunc(a, b, func(x, y []float64) bool { return slices.Equal(x, y) })
}

func TestSaveLoadRoundTrip(t *testing.T) {
	for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64} {
		t.Run(dt.String(), func(t *testing.T) {
			nn.Seed(1)
			src := small(4)
			nn.Cast(src, dt)
			// Move the running statistics away from their defaults.
			src.Forward(tensor.RandUniform(tensor.NewRNG(9), dt, -1, 1, 3, 1, 5, 5))
			dst := small(4)
			nn.Cast(dst, dt)
			if equalState(stateValues(src), stateValues(dst)) {
				t.Fatal("test setup: the two models already agree")
			}
			dir := t.TempDir()
			path := filepath.Join(dir, "model.nnkt")
			if err := nn.Save(path, src); err != nil {
				t.Fatal(err)
			}
			if err := nn.Load(path, dst); err != nil {
				t.Fatal(err)
			}
			if !equalState(stateValues(src), stateValues(dst)) {
				t.Error("loaded state differs from the saved state")
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 1 {
				t.Errorf("Save left %d files in the directory, want 1", len(entries))
			}
		})
	}
}

func TestStateNames(t *testing.T) {
	var names []string
	for _, s := range nn.StateDict(small(2)) {
		names = append(names, s.Name)
	}
	want := []string{"0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "5.weight"}
	if !slices.Equal(names, want) {
		t.Errorf("StateDict names %v, want %v", names, want)
	}
}

func TestLoadMismatches(t *testing.T) {
	saved := func(m nn.Module) []byte {
		var b bytes.Buffer
		if err := nn.WriteState(&b, m); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	lenetA := nn.NewSequential(nn.NewConv2d(6, 16, 5, 1, 0, true))
	lenetB := nn.NewSequential(nn.NewConv2d(1, 6, 5, 1, 0, true))
	f64 := small(4)
	nn.Cast(f64, tensor.Float64)
	tests := []struct {
		name  string
		file  []byte
		model nn.Module
		want  []string
	}{
		{"shape", saved(lenetA), lenetB, []string{
			"layer 0.weight: file has shape [16 6 5 5], model has [6 1 5 5]",
			"layer 0.bias: file has shape [16], model has [6]"}},
		{"dtype", saved(f64), small(4), []string{"layer 0.weight: file has dtype float64, model has float32"}},
		{"missing", saved(nn.NewSequential(nn.NewLinear(2, 2, false))), nn.NewSequential(nn.NewLinear(2, 2, true)),
			[]string{"layer 0.bias: missing from the file"}},
		{"extra", saved(small(4)), nn.NewSequential(nn.NewConv2d(1, 4, 3, 1, 1, true)),
			[]string{"layer 1.running_var: in the file (shape [4]) but not in the model", "layer 5.weight: in the file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := stateValues(tt.model)
			err := nn.ReadState(bytes.NewReader(tt.file), tt.model)
			if err == nil {
				t.Fatal("ReadState succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if !equalState(before, stateValues(tt.model)) {
				t.Error("a failed load changed the model")
			}
		})
	}
}

func TestLoadCorruptFiles(t *testing.T) {
	var good bytes.Buffer
	if err := nn.WriteState(&good, small(3)); err != nil {
		t.Fatal(err)
	}
	data := good.Bytes()
	flip := slices.Clone(data)
	flip[len(flip)/2] ^= 0x40
	badMagic := slices.Clone(data)
	copy(badMagic, "PK\x03\x04")
	tests := []struct {
		name string
		file []byte
		want string
	}{
		{"empty", nil, "shorter than the header"},
		{"magic", badMagic, `magic "PK\x03\x04", want "NNKT"`},
		{"truncated", data[:len(data)-10], "checksum mismatch"},
		{"flipped bit", flip, "checksum mismatch"},
		{"version", append([]byte("NNKT\x07\x00\x00\x00"), data[8:]...), "version 7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := small(3)
			before := stateValues(m)
			err := nn.ReadState(bytes.NewReader(tt.file), m)
			if !errors.Is(err, nn.ErrFormat) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want ErrFormat containing %q", err, tt.want)
			}
			if !equalState(before, stateValues(m)) {
				t.Error("a failed load changed the model")
			}
		})
	}
}

func TestSaveErrorLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "missing", "model.nnkt")
	if err := nn.Save(path, small(2)); err == nil || !strings.Contains(err.Error(), "nn: save") {
		t.Errorf("Save into a missing directory: error %v", err)
	}
	if err := nn.Load(filepath.Join(dir, "nope.nnkt"), small(2)); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load of a missing file: error %v, want one wrapping os.ErrNotExist", err)
	}
	// Overwriting an existing file replaces it whole.
	good := filepath.Join(dir, "model.nnkt")
	if err := nn.Save(good, small(2)); err != nil {
		t.Fatal(err)
	}
	if err := nn.Save(good, small(3)); err != nil {
		t.Fatal(err)
	}
	if err := nn.Load(good, small(3)); err != nil {
		t.Errorf("loading the overwritten file: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d files in the directory, want 1", len(entries))
	}
}

// FuzzReadState checks that the reader never panics, whatever the bytes,
// and that whatever it accepts it can write back and read again.
func FuzzReadState(f *testing.F) {
	var good bytes.Buffer
	if err := nn.WriteState(&good, small(2)); err != nil {
		f.Fatal(err)
	}
	f.Add(good.Bytes())
	f.Add(good.Bytes()[:good.Len()-4]) // the body, checksummed by the target
	f.Add(good.Bytes()[:40])
	f.Add([]byte("NNKT\x01\x00\x00\x00\xff\xff\xff\xff"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		// Try the bytes as they are, and with a valid checksum appended so
		// that mutations reach the parser behind the checksum.
		withSum := binary.LittleEndian.AppendUint32(slices.Clone(data), crc32.ChecksumIEEE(data))
		for _, file := range [][]byte{data, withSum} {
			m := small(2)
			if err := nn.ReadState(bytes.NewReader(file), m); err != nil {
				continue
			}
			var out bytes.Buffer
			if err := nn.WriteState(&out, m); err != nil {
				t.Fatal(err)
			}
			if err := nn.ReadState(&out, small(2)); err != nil {
				t.Errorf("re-reading an accepted state: %v", err)
			}
		}
	})
}
