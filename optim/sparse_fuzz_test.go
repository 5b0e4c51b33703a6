package optim

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"testing"
)

// FuzzSparseStep drives the sparse path with arbitrary gradients: the
// configuration (one of sparseCases, the table's shape, clipping) and
// entries (id, row) decoded from the input, ids possibly out of range and
// values possibly non-finite. It checks that
//
//   - an id outside [0, rows) is an error naming it, and changes nothing;
//   - otherwise the step equals one fed the coalesced gradient (each id
//     once, the rows summed in input order by a map, given in decreasing
//     id order), bit for bit: coalescing is the input-order sum and nothing
//     else depends on the entries' order;
//   - rows no entry touches keep their data and state;
//   - with clipping by norm, a non-finite gradient is ErrNonFinite and
//     changes nothing.
func FuzzSparseStep(f *testing.F) {
	f.Add(uint8(0), uint8(7), uint8(3), false, []byte{1, 0, 0, 0, 0x3f, 0x80, 0, 0, 2, 0, 0, 0, 0xbf, 0x80, 0, 0, 1, 0, 0, 0, 0x40, 0, 0, 0})
	f.Add(uint8(6), uint8(3), uint8(2), true, []byte{2, 0, 0, 0, 0x3f, 0x80, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0x7f, 0xc0, 0, 0})
	f.Add(uint8(4), uint8(1), uint8(1), true, []byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0})
	for i := range sparseCases {
		f.Add(uint8(i), uint8(20), uint8(5), i%2 == 0, []byte("the quick brown fox jumps over the lazy dog, twice: the quick brown fox"))
	}
	f.Fuzz(func(t *testing.T, which, rows8, dim8 uint8, clip bool, b []byte) {
		c := sparseCases[int(which)%len(sparseCases)]
		rows, dim := int(rows8)%64+1, int(dim8)%9+1
		// Entries: a little-endian int32 id (folded into [−2, rows+1]
		// unless it has the top bit of its second byte set, which keeps it
		// whole), then dim float32 values (from the bytes that remain,
		// repeating).
		g := &RowGrad[float32]{}
		for len(b) >= 4 {
			raw := int32(binary.LittleEndian.Uint32(b))
			id := int(raw)
			if b[1]&0x80 == 0 {
				id = int(uint32(raw)%uint32(rows+4)) - 2
			}
			b = b[4:]
			row := g.Row(id, dim)
			for j := range row {
				if len(b) >= 4 {
					row[j] = math.Float32frombits(binary.LittleEndian.Uint32(b))
					b = b[4:]
				} else {
					row[j] = float32(j+1) * 0.25
				}
			}
		}
		var opts []Option
		if clip {
			opts = append(opts, WithClipNorm(0.5), WithClipValue(10))
		}
		m := newSparseModel(t, c, rows, dim, g, append(opts, WithWorkers(2))...)
		defer m.o.Close()
		before := snapshot(t, m.o)
		bad := -1
		finite := true
		for k, id := range g.IDs {
			if (id < 0 || id >= rows) && bad < 0 {
				bad = k
			}
		}
		for _, x := range g.Values {
			finite = finite && !math.IsNaN(float64(x)) && !math.IsInf(float64(x), 0)
		}
		table := append([]float32(nil), m.emb...)
		_, err := m.o.Step()
		switch {
		case bad >= 0:
			want := fmt.Sprintf("row id %d,", g.IDs[bad])
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("entry %d with id %d: error %v, want one with %q", bad, g.IDs[bad], err, want)
			}
			if !bytes.Equal(before, snapshot(t, m.o)) {
				t.Fatal("a refused step changed something")
			}
			return
		case clip && !finite:
			if err != ErrNonFinite || !bytes.Equal(before, snapshot(t, m.o)) {
				t.Fatalf("non-finite gradient with clipping: %v, or something changed", err)
			}
			return
		case err != nil:
			t.Fatal(err)
		}
		// The same step fed the coalesced gradient, ids decreasing.
		ref := refCoalesce(g, dim)
		cg := &RowGrad[float32]{}
		for id := rows - 1; id >= 0; id-- {
			if row, ok := ref[id]; ok {
				cg.Add(id, row)
			}
		}
		r := newSparseModel(t, c, rows, dim, cg, append(opts, WithWorkers(1))...)
		defer r.o.Close()
		if _, err := r.o.Step(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(snapshot(t, m.o), snapshot(t, r.o)) {
			t.Fatal("the step differs from the step on the coalesced gradient")
		}
		st := m.o.c.sp.ts[0].(*sparseTensor[float32])
		for id := 0; id < rows; id++ {
			if _, ok := ref[id]; ok {
				continue
			}
			for j := id * dim; j < (id+1)*dim; j++ {
				if math.Float32bits(table[j]) != math.Float32bits(m.emb[j]) {
					t.Fatalf("untouched row %d changed", id)
				}
			}
			for _, s := range st.state {
				if s == nil {
					continue
				}
				lo, hi := id*dim, (id+1)*dim
				if c.rowWise {
					lo, hi = id, id+1
				}
				for j := lo; j < hi; j++ {
					if s[j] != 0 && s[j] != 0.1 { // initial values: 0, or adagrad's 0.1
						t.Fatalf("untouched row %d: state %v", id, s[j])
					}
				}
			}
		}
	})
}
