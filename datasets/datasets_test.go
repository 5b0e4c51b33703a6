package datasets_test

import (
	"math"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/descent-go/descent/datasets"
)

func classCounts(d *datasets.Dataset) []int {
	c := make([]int, d.Classes)
	for _, y := range d.Y {
		c[int(y)]++
	}
	return c
}

func TestShapesAndContents(t *testing.T) {
	cases := []struct {
		name       string
		rows, cols int
		counts     []int
		first      []float64 // first row of X, then its target
	}{
		{"breast_cancer", 569, 30, []int{212, 357}, []float64{17.99, 10.38, 122.8, 1001}},
		{"iris", 150, 4, []int{50, 50, 50}, []float64{5.1, 3.5, 1.4, 0.2, 0}},
		{"wine", 178, 13, []int{59, 71, 48}, []float64{14.23, 1.71, 2.43, 15.6, 127}},
		{"digits", 1797, 64, []int{178, 182, 177, 183, 181, 182, 181, 179, 174, 180}, []float64{0, 0, 5, 13, 9, 1}},
		{"diabetes", 442, 10, nil, []float64{59, 2, 32.1, 101, 157, 93.2, 38, 4, 4.8598, 87}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := datasets.Load(c.name)
			require.NoError(t, err)
			assert.Equal(t, c.name, d.Name)
			assert.Equal(t, c.rows, d.Rows)
			assert.Equal(t, c.cols, d.Cols)
			assert.Len(t, d.X, c.rows*c.cols)
			assert.Len(t, d.Y, c.rows)
			assert.Len(t, d.FeatureNames, c.cols)
			assert.Equal(t, len(c.counts), d.Classes)
			assert.Len(t, d.TargetNames, d.Classes)
			if c.counts != nil {
				assert.Equal(t, c.counts, classCounts(d))
			}
			n := min(len(c.first), c.cols)
			assert.Equal(t, c.first[:n], d.X[:n])
			for _, v := range append(d.X, d.Y...) {
				require.False(t, math.IsNaN(v) || math.IsInf(v, 0))
			}
		})
	}
	d := datasets.MustLoad("diabetes")
	assert.Equal(t, 151.0, d.Y[0])
	assert.Nil(t, d.TargetNames)
	assert.Equal(t, []string{"malignant", "benign"}, datasets.MustLoad("breast_cancer").TargetNames)
	assert.Equal(t, []string{"setosa", "versicolor", "virginica"}, datasets.MustLoad("iris").TargetNames)
	assert.Equal(t, "pixel_7_7", datasets.MustLoad("digits").FeatureNames[63])
}

func TestLoadErrorsAndCopies(t *testing.T) {
	_, err := datasets.Load("boston")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `unknown dataset "boston"`)
	assert.Panics(t, func() { datasets.MustLoad("nope") })
	a := datasets.MustLoad("iris")
	a.X[0] = 99
	assert.Equal(t, 5.1, datasets.MustLoad("iris").X[0], "each Load is a fresh copy")
	assert.Equal(t, []string{"breast_cancer", "iris", "wine", "digits", "diabetes"}, datasets.Names())
}

func TestStandardize(t *testing.T) {
	d := datasets.MustLoad("digits") // has constant (all-zero) columns
	orig := append([]float64(nil), d.X...)
	mean, scale := d.Standardize()
	for j := 0; j < d.Cols; j++ {
		var s, ss float64
		for i := 0; i < d.Rows; i++ {
			s += d.X[i*d.Cols+j]
		}
		for i := 0; i < d.Rows; i++ {
			v := d.X[i*d.Cols+j] - s/float64(d.Rows)
			ss += v * v
		}
		assert.InDelta(t, 0, s/float64(d.Rows), 1e-12)
		if scale[j] == 1 && mean[j] == orig[j] {
			assert.InDelta(t, 0, ss, 1e-12, "constant column %d stays 0", j)
		} else {
			assert.InDelta(t, 1, ss/float64(d.Rows), 1e-12)
		}
	}
	e := datasets.MustLoad("digits")
	e.StandardizeWith(mean, scale)
	assert.Equal(t, d.X, e.X)
	assert.Panics(t, func() { e.StandardizeWith(mean[:3], scale) })
}

func TestSplit(t *testing.T) {
	d := datasets.MustLoad("wine")
	tr, te := d.Split(0.25, 7)
	assert.Equal(t, 45, te.Rows)
	assert.Equal(t, 133, tr.Rows)
	tr2, te2 := d.Split(0.25, 7)
	assert.Equal(t, tr.X, tr2.X)
	assert.Equal(t, te.Y, te2.Y)
	_, te3 := d.Split(0.25, 8)
	assert.NotEqual(t, te.X, te3.X)
	// Together the two parts are a permutation of the rows.
	key := func(ds ...*datasets.Dataset) []float64 {
		var k []float64
		for _, s := range ds {
			for i := 0; i < s.Rows; i++ {
				k = append(k, s.Row(i)[12]*10+s.Y[i]) // proline·10 + class
			}
		}
		sort.Float64s(k)
		return k
	}
	assert.Equal(t, key(d), key(tr, te))
	// Pinned: the split must not change across Go versions or platforms.
	assert.Equal(t, []float64{1, 2, 2, 0, 1}, te.Y[:5])
	assert.Panics(t, func() { d.Split(1.5, 0) })
	x32, y32 := te.Float32()
	assert.Equal(t, float32(te.X[3]), x32[3])
	assert.Equal(t, float32(te.Y[3]), y32[3])
}

func TestNewCheckSubset(t *testing.T) {
	d := datasets.New([]float64{1, 2, 3, 4, 5, 6}, []float64{0, 1, 0}, 2)
	require.NoError(t, d.Check())
	assert.Equal(t, 3, d.Rows)
	assert.Equal(t, 2, d.Cols)
	assert.Panics(t, func() { datasets.New([]float64{1, 2, 3}, []float64{0, 1}, 2) })

	s := d.Subset([]int{2, 0, 2})
	require.NoError(t, s.Check())
	assert.Equal(t, []float64{5, 6, 1, 2, 5, 6}, s.X)
	assert.Equal(t, []float64{0, 0, 0}, s.Y)
	s.X[0] = 99
	assert.Equal(t, 5.0, d.X[4], "Subset copies")

	for name, bad := range map[string]*datasets.Dataset{
		"rows":          {Rows: 2, Cols: 1, X: []float64{1}, Y: []float64{0}},
		"x":             {Rows: 1, Cols: 2, X: []float64{1}, Y: []float64{0}},
		"negative":      {Rows: -1},
		"feature names": {Rows: 1, Cols: 1, X: []float64{1}, Y: []float64{0}, FeatureNames: []string{"a", "b"}},
		"target names":  {Rows: 1, Cols: 1, X: []float64{1}, Y: []float64{0}, Classes: 2, TargetNames: []string{"a"}},
	} {
		assert.Error(t, bad.Check(), name)
	}
	for _, n := range datasets.Names() {
		assert.NoError(t, datasets.MustLoad(n).Check(), n)
	}
}
