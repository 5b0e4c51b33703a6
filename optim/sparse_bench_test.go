package optim

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/descent-go/descent/kernels"
)

// sparseBatches returns n row-sparse gradients of touched entries over
// rows×dim, a tenth of each batch's entries repeating an earlier id. They
// share one block of values, as a training loop's backward pass refills
// one buffer (hot in cache) for every batch.
func sparseBatches(rows, dim, touched, n int) []RowGrad[float32] {
	r := rand.New(rand.NewPCG(21, 22))
	bs := make([]RowGrad[float32], n)
	for i := range bs {
		bs[i] = *entries[float32](r, rows, dim, touched, 0.1)
		if i > 0 {
			bs[i].Values = bs[0].Values
		}
	}
	return bs
}

// BenchmarkSparseStep is issue 13's benchmark: a 1 Mi × 64 float32 table
// (64 Ki rows under -short) of which each step touches 1 024 entries (10 %
// duplicate ids, new ids every step), one worker. Sub-benchmarks:
//
//	dense     the dense Adam step of the whole table (Optimizer.Step,
//	          gradient of every row): 28 B/element
//	kernel       kernels.AdamStep over one contiguous block of as many
//	             elements as a sparse step updates (in cache)
//	kernel-rows  kernels.AdamStep called on each distinct touched row of
//	             the table, in increasing order, from ids already
//	             coalesced: the dense kernel's elements/s on the touched
//	             rows, with none of the sparse step's work
//	lazyadam     the sparse step: coalescing and lazy Adam
//	rowwise      the sparse step with row-wise Adagrad
//
// The sparse ones report elems/s over the coalesced (distinct) rows and,
// measured in the same run, x-dense (the dense step's time over this one's:
// the issue asks ≥ 100), of-kernel-rows (this step's elements/s over
// kernel-rows': the issue asks ≥ 0.5) and of-kernel (over the contiguous
// block's: what scattered rows cost against streaming in cache).
func BenchmarkSparseStep(b *testing.B) {
	rows, dim, touched := 1<<20, 64, 1024
	if testing.Short() {
		rows = 1 << 16
	}
	name := fmt.Sprintf("f32/rows=%d/dim=%d/touched=%d", rows, dim, touched)
	batches := sparseBatches(rows, dim, touched, 64)
	distinct := 0
	for i := range batches {
		seen := map[int]bool{}
		for _, id := range batches[i].IDs {
			seen[id] = true
		}
		distinct += len(seen)
	}
	elems := float64(distinct) / float64(len(batches)) * float64(dim) // updated per step, on average
	table := MakeTable[float32](rows, dim)
	for i := range table {
		table[i] = float32(i%13) * 0.01
	}

	var denseNs, kernelRate float64
	b.Run("dense/adam/"+name, func(b *testing.B) {
		g := make([]float32, len(table))
		for i := range g {
			g[i] = float32(i%7-3) * 0.01
		}
		o, err := NewAdam([]AdamGroup{{Params: []Param{Float32("emb", table, g)}, Hyper: kernels.DefaultAdam()}}, WithWorkers(1))
		if err != nil {
			b.Fatal(err)
		}
		defer o.Close()
		o.Step()
		b.SetBytes(int64(28 * len(table)))
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			o.Step()
		}
		denseNs = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		b.ReportMetric(float64(len(table))*float64(b.N)/b.Elapsed().Seconds(), "elems/s")
	})
	b.Run("kernel/adam/"+name, func(b *testing.B) {
		n := int(elems)
		p, g, m, v := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
		for i := range p {
			p[i], g[i] = 1, float32(i%7-3)*0.01
		}
		s := kernels.DefaultAdam().Scalars(10, 1)
		b.SetBytes(int64(28 * n))
		b.ResetTimer()
		for range b.N {
			kernels.AdamStep(p, g, m, v, &s)
		}
		kernelRate = float64(n) * float64(b.N) / b.Elapsed().Seconds()
		b.ReportMetric(kernelRate, "elems/s")
	})
	var rowsRate float64
	b.Run("kernel-rows/adam/"+name, func(b *testing.B) {
		// Each batch's distinct rows, increasing, each with a gradient row.
		ids := make([][]int, len(batches))
		for i := range batches {
			seen := map[int]bool{}
			for _, id := range batches[i].IDs {
				if !seen[id] {
					seen[id] = true
					ids[i] = append(ids[i], id)
				}
			}
			slices.Sort(ids[i])
		}
		g := batches[0].Values
		p := append([]float32(nil), table...)
		m, v := make([]float32, len(table)), make([]float32, len(table))
		adviseHuge(p)
		adviseHuge(m)
		adviseHuge(v)
		s := kernels.DefaultAdam().Scalars(10, 1)
		for i := range ids {
			for u, r := range ids[i] {
				kernels.AdamStep(p[r*dim:(r+1)*dim], g[u*dim:(u+1)*dim], m[r*dim:(r+1)*dim], v[r*dim:(r+1)*dim], &s)
			}
		}
		b.SetBytes(int64(28 * elems))
		b.ResetTimer()
		for n := range b.N {
			for u, r := range ids[n%len(ids)] {
				kernels.AdamStep(p[r*dim:(r+1)*dim], g[u*dim:(u+1)*dim], m[r*dim:(r+1)*dim], v[r*dim:(r+1)*dim], &s)
			}
		}
		rowsRate = elems * float64(b.N) / b.Elapsed().Seconds()
		b.ReportMetric(rowsRate, "elems/s")
	})
	sparse := func(sub, alg string, rowWise bool) {
		b.Run(sub+"/"+name, func(b *testing.B) {
			g := &RowGrad[float32]{}
			e := Embedding32("emb", rows, dim, table, g)
			e.RowWise = rowWise
			o, err := New(alg, []Group{{Embeddings: []Embedding{e}}}, WithWorkers(1))
			if err != nil {
				b.Fatal(err)
			}
			defer o.Close()
			for i := range batches {
				*g = batches[i]
				o.Step()
			}
			b.SetBytes(int64(28 * elems))
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			for i := range b.N {
				*g = batches[i%len(batches)]
				if _, err := o.Step(); err != nil {
					b.Fatal(err)
				}
			}
			ns := float64(time.Since(start).Nanoseconds()) / float64(b.N)
			rate := elems / ns * 1e9
			b.ReportMetric(rate, "elems/s")
			if denseNs > 0 {
				b.ReportMetric(denseNs/ns, "x-dense")
			}
			if kernelRate > 0 {
				b.ReportMetric(rate/kernelRate, "of-kernel")
			}
			if rowsRate > 0 {
				b.ReportMetric(rate/rowsRate, "of-kernel-rows")
			}
		})
	}
	sparse("lazyadam", "adam", false)
	sparse("rowwise", "adagrad", true)
}
