package datasets

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"embed"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

//go:embed data/*.csv.gz
var files embed.FS

// Dataset is a table of features X with targets Y.
type Dataset struct {
	// Name is the name Load was given.
	Name string
	// Rows and Cols are the shape of X.
	Rows, Cols int
	// X is the row-major Rows × Cols feature matrix: X[i*Cols+j] is feature
	// j of sample i.
	X []float64
	// Y has Rows targets: class indices 0 … Classes−1, or real values for
	// regression.
	Y []float64
	// FeatureNames has Cols names.
	FeatureNames []string
	// TargetNames names the classes (Classes of them); nil for regression.
	TargetNames []string
	// Classes is the number of classes, 0 for regression.
	Classes int
}

type spec struct {
	load     func() (x, y []float64, cols int, classNames []string, err error)
	features []string
	classes  []string // overrides the file's names when set
}

var specs = map[string]spec{
	"breast_cancer": {load: headerCSV("breast_cancer.csv.gz"), features: []string{
		"mean radius", "mean texture", "mean perimeter", "mean area", "mean smoothness",
		"mean compactness", "mean concavity", "mean concave points", "mean symmetry", "mean fractal dimension",
		"radius error", "texture error", "perimeter error", "area error", "smoothness error",
		"compactness error", "concavity error", "concave points error", "symmetry error", "fractal dimension error",
		"worst radius", "worst texture", "worst perimeter", "worst area", "worst smoothness",
		"worst compactness", "worst concavity", "worst concave points", "worst symmetry", "worst fractal dimension",
	}},
	"iris": {load: headerCSV("iris.csv.gz"), features: []string{
		"sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)",
	}},
	"wine": {load: headerCSV("wine_data.csv.gz"), features: []string{
		"alcohol", "malic_acid", "ash", "alcalinity_of_ash", "magnesium", "total_phenols", "flavanoids",
		"nonflavanoid_phenols", "proanthocyanins", "color_intensity", "hue", "od280/od315_of_diluted_wines", "proline",
	}},
	"digits":   {load: loadDigits, features: pixelNames(), classes: []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}},
	"diabetes": {load: loadDiabetes, features: []string{"age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"}},
}

// Names lists the datasets Load knows, in a fixed order.
func Names() []string {
	return []string{"breast_cancer", "iris", "wine", "digits", "diabetes"}
}

// Load parses the named dataset. It returns an error for an unknown name.
func Load(name string) (*Dataset, error) {
	s, ok := specs[name]
	if !ok {
		return nil, fmt.Errorf("datasets: unknown dataset %q (have %s)", name, strings.Join(Names(), ", "))
	}
	x, y, cols, classNames, err := s.load()
	if err != nil {
		return nil, fmt.Errorf("datasets: %s: %w", name, err)
	}
	if cols != len(s.features) {
		return nil, fmt.Errorf("datasets: %s: %d columns, want %d", name, cols, len(s.features))
	}
	if s.classes != nil {
		classNames = s.classes
	}
	d := &Dataset{
		Name: name, Rows: len(y), Cols: cols, X: x, Y: y,
		FeatureNames: append([]string(nil), s.features...),
		TargetNames:  classNames,
		Classes:      len(classNames),
	}
	return d, nil
}

// MustLoad is Load that panics on error, for tests and examples.
func MustLoad(name string) *Dataset {
	d, err := Load(name)
	if err != nil {
		panic(err)
	}
	return d
}

func open(name string) ([]byte, error) {
	f, err := files.Open("data/" + name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(z)
}

func parseFloats(fields []string, dst []float64) ([]float64, error) {
	for _, f := range fields {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil {
			return dst, err
		}
		dst = append(dst, v)
	}
	return dst, nil
}

// headerCSV reads scikit-learn's format: a first line "rows,cols,class
// names…", then rows of cols features and an integer class.
func headerCSV(file string) func() ([]float64, []float64, int, []string, error) {
	return func() ([]float64, []float64, int, []string, error) {
		b, err := open(file)
		if err != nil {
			return nil, nil, 0, nil, err
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		if !sc.Scan() {
			return nil, nil, 0, nil, fmt.Errorf("%s: empty", file)
		}
		head := strings.Split(sc.Text(), ",")
		if len(head) < 3 {
			return nil, nil, 0, nil, fmt.Errorf("%s: bad header %q", file, sc.Text())
		}
		rows, err1 := strconv.Atoi(head[0])
		cols, err2 := strconv.Atoi(head[1])
		if err1 != nil || err2 != nil {
			return nil, nil, 0, nil, fmt.Errorf("%s: bad header %q", file, sc.Text())
		}
		x := make([]float64, 0, rows*cols)
		y := make([]float64, 0, rows)
		var row []float64
		for sc.Scan() {
			if strings.TrimSpace(sc.Text()) == "" {
				continue
			}
			row, err = parseFloats(strings.Split(sc.Text(), ","), row[:0])
			if err != nil || len(row) != cols+1 {
				return nil, nil, 0, nil, fmt.Errorf("%s: line %d: %d fields, err %v", file, len(y)+2, len(row), err)
			}
			x = append(x, row[:cols]...)
			y = append(y, row[cols])
		}
		if len(y) != rows {
			return nil, nil, 0, nil, fmt.Errorf("%s: %d rows, header says %d", file, len(y), rows)
		}
		return x, y, cols, head[2:], nil
	}
}

func loadDigits() ([]float64, []float64, int, []string, error) {
	b, err := open("digits.csv.gz")
	if err != nil {
		return nil, nil, 0, nil, err
	}
	const cols = 64
	var x, y, row []float64
	for i, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		row, err = parseFloats(strings.Split(line, ","), row[:0])
		if err != nil || len(row) != cols+1 {
			return nil, nil, 0, nil, fmt.Errorf("digits.csv.gz: line %d: %d fields, err %v", i+1, len(row), err)
		}
		x = append(x, row[:cols]...)
		y = append(y, row[cols])
	}
	return x, y, cols, nil, nil
}

func loadDiabetes() ([]float64, []float64, int, []string, error) {
	bx, err := open("diabetes_data_raw.csv.gz")
	if err != nil {
		return nil, nil, 0, nil, err
	}
	by, err := open("diabetes_target.csv.gz")
	if err != nil {
		return nil, nil, 0, nil, err
	}
	const cols = 10
	var x, y []float64
	for i, line := range strings.Split(strings.TrimSpace(string(bx)), "\n") {
		n := len(x)
		if x, err = parseFloats(strings.Fields(line), x); err != nil || len(x)-n != cols {
			return nil, nil, 0, nil, fmt.Errorf("diabetes_data_raw.csv.gz: line %d: %d fields, err %v", i+1, len(x)-n, err)
		}
	}
	if y, err = parseFloats(strings.Fields(string(by)), y); err != nil {
		return nil, nil, 0, nil, fmt.Errorf("diabetes_target.csv.gz: %v", err)
	}
	if len(y)*cols != len(x) {
		return nil, nil, 0, nil, fmt.Errorf("diabetes: %d targets for %d rows", len(y), len(x)/cols)
	}
	return x, y, cols, nil, nil
}

func pixelNames() []string {
	var s []string
	for r := 0; r < 8; r++ {
		for c := 0; c < 8; c++ {
			s = append(s, fmt.Sprintf("pixel_%d_%d", r, c))
		}
	}
	return s
}

// New returns a Dataset of len(y) rows over the row-major feature matrix x
// with cols features per row and the targets y, sharing the slices (no
// names, no classes: set FeatureNames, TargetNames and Classes as needed). It
// panics if cols < 0 or len(x) ≠ len(y)·cols.
func New(x, y []float64, cols int) *Dataset {
	if cols < 0 || len(x) != len(y)*cols {
		panic(fmt.Sprintf("datasets: New: len(x) = %d, want len(y)·cols = %d·%d", len(x), len(y), cols))
	}
	return &Dataset{Rows: len(y), Cols: cols, X: x, Y: y}
}

// Check returns an error when d's fields disagree about its shape: Rows ≠
// len(Y), len(X) ≠ Rows·Cols, FeatureNames (when set) not Cols long, or
// TargetNames (when set) not Classes long.
func (d *Dataset) Check() error {
	name := ""
	if d.Name != "" {
		name = d.Name + ": "
	}
	switch {
	case d.Rows < 0 || d.Cols < 0:
		return fmt.Errorf("datasets: %sshape %d × %d", name, d.Rows, d.Cols)
	case len(d.Y) != d.Rows:
		return fmt.Errorf("datasets: %s%d targets for %d rows", name, len(d.Y), d.Rows)
	case len(d.X) != d.Rows*d.Cols:
		return fmt.Errorf("datasets: %s%d values in X, want Rows·Cols = %d·%d", name, len(d.X), d.Rows, d.Cols)
	case d.FeatureNames != nil && len(d.FeatureNames) != d.Cols:
		return fmt.Errorf("datasets: %s%d feature names for %d columns", name, len(d.FeatureNames), d.Cols)
	case d.TargetNames != nil && len(d.TargetNames) != d.Classes:
		return fmt.Errorf("datasets: %s%d target names for %d classes", name, len(d.TargetNames), d.Classes)
	}
	return nil
}

// Row returns sample i's features, a sub-slice of X.
func (d *Dataset) Row(i int) []float64 { return d.X[i*d.Cols : (i+1)*d.Cols] }

// Standardize centres every column of X and divides it by its population
// standard deviation, in place, and returns the means and scales used. A
// constant column is only centred (its scale is 1). The results are the same
// bits on every architecture (TestSplitStandardizePortable).
func (d *Dataset) Standardize() (mean, scale []float64) {
	mean = make([]float64, d.Cols)
	scale = make([]float64, d.Cols)
	for j := 0; j < d.Cols; j++ {
		var s float64
		for i := 0; i < d.Rows; i++ {
			s += d.X[i*d.Cols+j]
		}
		mu := s / float64(max(d.Rows, 1))
		var ss float64
		for i := 0; i < d.Rows; i++ {
			v := d.X[i*d.Cols+j] - mu
			ss += float64(v * v) // the conversion stops Go fusing this into an FMA (arm64): same bits everywhere
		}
		sd := math.Sqrt(ss / float64(max(d.Rows, 1)))
		if sd == 0 {
			sd = 1
		}
		mean[j], scale[j] = mu, sd
	}
	d.StandardizeWith(mean, scale)
	return mean, scale
}

// StandardizeWith sets X[i,j] = (X[i,j] − mean[j]) / scale[j], in place,
// with statistics from Standardize on another split. It panics if the
// lengths are not Cols.
func (d *Dataset) StandardizeWith(mean, scale []float64) {
	if len(mean) != d.Cols || len(scale) != d.Cols {
		panic(fmt.Sprintf("datasets: StandardizeWith: len(mean) = %d, len(scale) = %d, want Cols = %d", len(mean), len(scale), d.Cols))
	}
	for i := 0; i < d.Rows; i++ {
		row := d.X[i*d.Cols : (i+1)*d.Cols]
		for j := range row {
			row[j] = (row[j] - mean[j]) / scale[j]
		}
	}
}

// Split shuffles the rows with the given seed and returns the first
// round(testFraction·Rows) of them as test and the rest as train, as new
// Datasets (copies). The result depends only on the seed and the data. It
// panics unless 0 ≤ testFraction ≤ 1.
func (d *Dataset) Split(testFraction float64, seed uint64) (train, test *Dataset) {
	if !(testFraction >= 0 && testFraction <= 1) {
		panic(fmt.Sprintf("datasets: Split: testFraction = %v, want in [0, 1]", testFraction))
	}
	perm := make([]int, d.Rows)
	for i := range perm {
		perm[i] = i
	}
	g := splitMix64(seed)
	for i := len(perm) - 1; i > 0; i-- {
		j := int(g.next() % uint64(i+1))
		perm[i], perm[j] = perm[j], perm[i]
	}
	nTest := int(math.Round(testFraction * float64(d.Rows)))
	return d.Subset(perm[nTest:]), d.Subset(perm[:nTest])
}

// Subset returns a new Dataset (a copy) of the given rows of d, in the
// given order (a row may repeat), with d's names and classes.
func (d *Dataset) Subset(rows []int) *Dataset {
	s := *d
	s.Rows = len(rows)
	s.X = make([]float64, 0, len(rows)*d.Cols)
	s.Y = make([]float64, 0, len(rows))
	for _, i := range rows {
		s.X = append(s.X, d.Row(i)...)
		s.Y = append(s.Y, d.Y[i])
	}
	s.FeatureNames = append([]string(nil), d.FeatureNames...)
	s.TargetNames = append([]string(nil), d.TargetNames...)
	if d.TargetNames == nil {
		s.TargetNames = nil
	}
	return &s
}

type splitMix64 uint64

func (s *splitMix64) next() uint64 {
	*s += 0x9e3779b97f4a7c15
	z := uint64(*s)
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// Float32 returns copies of X and Y converted to float32.
func (d *Dataset) Float32() (x, y []float32) {
	x = make([]float32, len(d.X))
	for i, v := range d.X {
		x[i] = float32(v)
	}
	y = make([]float32, len(d.Y))
	for i, v := range d.Y {
		y[i] = float32(v)
	}
	return x, y
}

// ClassCounts returns the number of rows of each class, 0 … Classes−1 (nil
// for regression). Targets that are not class indices below Classes are not
// counted.
func (d *Dataset) ClassCounts() []int {
	if d.Classes <= 0 {
		return nil
	}
	n := make([]int, d.Classes)
	for _, y := range d.Y {
		if c := int(y); y >= 0 && y < float64(d.Classes) && float64(c) == y {
			n[c]++
		}
	}
	return n
}
