package checker

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"nnkit/nn"
)

// withReference runs f with t's reference replaced by ref (a *F).
func withReference(t *Task, ref any, f func()) {
	v := reflect.ValueOf(t.ref).Elem()
	save := reflect.New(v.Type()).Elem()
	save.Set(v)
	defer v.Set(save)
	v.Set(reflect.ValueOf(ref).Elem())
	f()
}

// TestFixturesReplay reads every task's fixtures and grades the reference, zero stubs and a perturbed reference against the
// replay: each item must score as it does against the live solutions
// (the reference full marks), so the student distribution grades like
// the kit.
func TestFixturesReplay(t *testing.T) {
	if FixtureMode() {
		t.Skip("the student distribution has no live reference to compare with")
	}
	for _, task := range Tasks() {
		t.Run(task.Name, func(t *testing.T) {
			if testing.Short() && (task.Name == "task3" || task.Name == "task4") {
				t.Skip("trains or builds large networks: skipped with -short")
			}
			b, err := os.ReadFile(filepath.Join("..", FixturesDir, task.Name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			g, err := ParseFixtureFile(b)
			if err != nil {
				t.Fatal(err)
			}
			live := reflect.New(reflect.ValueOf(task.ref).Elem().Type())
			live.Elem().Set(reflect.ValueOf(task.ref).Elem())
			students := map[string]any{"reference": live.Interface(), "stubs": zeroFuncs(live.Interface()), "perturbed": perturbFuncs(live.Interface())}
			for what, s := range students {
				for _, it := range task.Items {
					nn.Seed(0)
					want := task.RunItem(it.Name, s, "")
					var got Result
					withReference(task, replayFuncs(task.ref, g), func() {
						nn.Seed(0)
						got = task.RunItem(it.Name, s, "")
					})
					if got.Score != want.Score || got.Status != want.Status || got.Reason != want.Reason {
						t.Errorf("%s on %s: against the fixtures %v %s %q; against the solutions %v %s %q",
							it.Name, what, got.Score, got.Status, got.Reason, want.Score, want.Status, want.Reason)
					}
				}
			}
		})
	}
}

// TestFixtureMissNamesTheSeed: a replay asked about other inputs says so.
func TestFixtureMissNamesTheSeed(t *testing.T) {
	f := &FixtureFile{Format: FixtureFormat, Task: "task1", KitVersion: KitVersion, Calls: map[string][]*FixtureCall{}}
	if err := f.seal(); err != nil {
		t.Fatal(err)
	}
	res := Task1.RunItem("Relu", replayFuncs(Task1.ref, f), "")
	if res.Status != Panicked || !strings.Contains(res.Reason, "fixtures hold no reference output of Relu") {
		t.Errorf("got %s %q", res.Status, res.Reason)
	}
}

// TestParseFixtureFileAltered: an edited value breaks the stamp.
func TestParseFixtureFileAltered(t *testing.T) {
	f := &FixtureFile{Format: FixtureFormat, Task: "task1", KitVersion: KitVersion,
		Calls: map[string][]*FixtureCall{"Relu": {{Key: "k", Out: []*fxNode{{Bits: f64bits([]float64{1})}}}}}}
	if err := f.seal(); err != nil {
		t.Fatal(err)
	}
	f.Calls["Relu"][0].Out[0].Bits = f64bits([]float64{2})
	b, _ := f.Marshal()
	if _, err := ParseFixtureFile(b); err == nil || !strings.Contains(err.Error(), "altered") {
		t.Errorf("err = %v, want altered", err)
	}
}

// TestFixturesVerify is `check fixtures --verify`: the stamps and the
// MANIFEST hold, and (without -short) recording the reference again gives
// the same files.
func TestFixturesVerify(t *testing.T) {
	if FixtureMode() {
		t.Skip("the student distribution cannot record the reference")
	}
	if err := VerifyFixtures(filepath.Join("..", FixturesDir), !testing.Short()); err != nil {
		t.Fatal(err)
	}
}

// TestVerifyFixturesFindsAlteredAndMissing edits a copy of the fixtures.
func TestVerifyFixturesFindsAlteredAndMissing(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join("..", FixturesDir)
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := VerifyFixtures(dir, false); err != nil {
		t.Fatalf("a fresh copy: %v", err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "task2.json"))
	i := strings.Index(string(b), `"bits": "`) + len(`"bits": "`)
	b[i] ^= 1 // one base64 digit of one recorded number
	os.WriteFile(filepath.Join(dir, "task2.json"), b, 0o644)
	os.Remove(filepath.Join(dir, "task4.json"))
	err = VerifyFixtures(dir, false)
	if err == nil || !strings.Contains(err.Error(), "task2.json: altered") || !strings.Contains(err.Error(), "task4.json: missing") {
		t.Errorf("err = %v, want task2 altered and task4 missing", err)
	}
}

// TestFixturesDiffer: a recording counts as stale when a value moves by
// more than FixtureTol, not when it moves by a rounding.
func TestFixturesDiffer(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", FixturesDir, "task1.json"))
	if err != nil {
		t.Fatal(err)
	}
	moved := func(factor float64) []byte {
		var f FixtureFile
		if err := json.Unmarshal(b, &f); err != nil {
			t.Fatal(err)
		}
		for _, c := range f.Calls["Relu"] {
			vs := bitsF64(c.Out[0].Bits)
			for i := range vs {
				vs[i] *= factor
			}
			c.Out[0].Bits = f64bits(vs)
		}
		out, _ := f.Marshal()
		return out
	}
	if why := fixturesDiffer(b, moved(1+1e-9)); why != "" {
		t.Errorf("a rounding: %s", why)
	}
	if why := fixturesDiffer(b, moved(1.01)); !strings.Contains(why, "a value moved") {
		t.Errorf("a 1%% change: %q", why)
	}
}
