package optim

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

// A group added after some steps updates exactly as an optimizer of its
// own built at that moment (its own step count: bias correction, the
// first momentum step); the groups there before are unaffected; a
// checkpoint of the whole resumes into an optimizer built with every group.
func TestAddGroup(t *testing.T) {
	for _, alg := range []string{"adam", "momentum", "rmsprop"} {
		t.Run(alg, func(t *testing.T) {
			grad := func(s, i int) float32 { return float32((s*7+i*3)%11-5) * 0.1 }
			fill := func(g []float32, s int) {
				for i := range g {
					g[i] = grad(s, i)
				}
			}
			hw, hu := Values{"lr": 0.01}, Values{"lr": 0.02}
			if alg == "rmsprop" {
				hu["momentum"] = 0.5
			}
			mk := func(name string, n int) ([]float32, []float32, Param) {
				d, g := make([]float32, n), make([]float32, n)
				for i := range d {
					d[i] = float32(i%5) * 0.25
				}
				return d, g, Float32(name, d, g)
			}
			wA, gwA, pwA := mk("w", 37)
			a, err := New(alg, []Group{{Params: []Param{pwA}, Hyper: hw}})
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			wC, gwC, pwC := mk("w", 37) // w alone, all the way
			cOpt, _ := New(alg, []Group{{Params: []Param{pwC}, Hyper: hw}})
			defer cOpt.Close()
			uB, guB, puB := mk("u", 70000) // u alone, from the step it is added
			bOpt, _ := New(alg, []Group{{Params: []Param{puB}, Hyper: hu}})
			defer bOpt.Close()
			for s := range 4 {
				fill(gwA, s)
				fill(gwC, s)
				a.Step()
				cOpt.Step()
			}
			uA, guA, puA := mk("u", 70000)
			if err := a.AddGroup(Group{Params: []Param{puA}, Hyper: hu}); err != nil {
				t.Fatal(err)
			}
			var mid []byte
			for s := 4; s < 9; s++ {
				fill(gwA, s)
				fill(gwC, s)
				fill(guA, s)
				fill(guB, s)
				for _, o := range []*Optimizer{a, bOpt, cOpt} {
					if _, err := o.Step(); err != nil {
						t.Fatal(err)
					}
				}
				if s == 6 {
					var b bytes.Buffer
					a.WriteTo(&b)
					mid = b.Bytes()
				}
			}
			if !slices.Equal(wA, wC) {
				t.Error("adding a group changed the updates of the group before it")
			}
			if !slices.Equal(uA, uB) {
				t.Error("the added group does not update as an optimizer of its own from that step")
			}
			// Resume from step 7 into an optimizer built with both groups.
			wD, gwD, pwD := mk("w", 37)
			uD, guD, puD := mk("u", 70000)
			d, err := New(alg, []Group{{Params: []Param{pwD}, Hyper: hw}, {Params: []Param{puD}, Hyper: hu}})
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			ck, err := ReadCheckpoint(bytes.NewReader(mid))
			if err != nil {
				t.Fatal(err)
			}
			if err := d.Restore(ck); err != nil {
				t.Fatal(err)
			}
			for s := 7; s < 9; s++ {
				fill(gwD, s)
				fill(guD, s)
				d.Step()
			}
			if !slices.Equal(wD, wA) || !slices.Equal(uD, uA) {
				t.Error("a resumed optimizer with an added group ends elsewhere")
			}
			// A checkpoint whose group was added after its step is refused.
			a.c.groups[1].born = 100
			var bad bytes.Buffer
			a.WriteTo(&bad)
			a.c.groups[1].born = 4
			if ck, err := ReadCheckpoint(bytes.NewReader(bad.Bytes())); err == nil {
				if err := d.Restore(ck); err == nil || !strings.Contains(err.Error(), "added at step 100") {
					t.Errorf("born 100 at step %d: %v", a.StepCount(), err)
				}
			}
			// Refused, nothing changed.
			n := a.NumGroups()
			_, _, dup := mk("u", 3)
			x, gx, _ := mk("x", 3)
			for _, c := range []struct {
				g    Group
				want string
			}{
				{Group{Params: []Param{dup}}, `duplicate parameter name "u"`},
				{Group{Params: []Param{Float32("x", wA[:3], gx)}}, "overlap"},
				{Group{}, "no parameters"},
				{Group{Params: []Param{Float32("x", x, gx)}, Hyper: Values{"lr": -1}}, "learning rate -1"},
				{Group{Params: []Param{Float32("x", x, gx)}, Embeddings: []Embedding{{Name: "e"}}}, "embedding"},
			} {
				if err := a.AddGroup(c.g); err == nil || !strings.Contains(err.Error(), c.want) {
					t.Errorf("AddGroup: %v, want %q", err, c.want)
				}
			}
			if a.NumGroups() != n {
				t.Errorf("refused AddGroups left %d groups, want %d", a.NumGroups(), n)
			}
		})
	}
}
