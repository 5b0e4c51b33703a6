package datasets_test

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/descent-go/descent/datasets"
)

func TestReadCSV(t *testing.T) {
	in := "a, b ,y\n1,2,0\n3,4.5,2\n\n-1,0,1\n"
	d, err := datasets.ReadCSV(strings.NewReader(in), "t.csv", datasets.CSVOptions{Classification: true})
	if err != nil {
		t.Fatal(err)
	}
	if d.Rows != 3 || d.Cols != 2 || d.Classes != 3 || len(d.X) != 6 ||
		d.X[3] != 4.5 || d.Y[1] != 2 || d.FeatureNames[1] != " b " {
		t.Fatalf("%+v", d)
	}
	// Label in the first column, no header, regression.
	d, err = datasets.ReadCSV(strings.NewReader("7,1,2\n8,3,4\n"), "t.csv", datasets.CSVOptions{LabelCol: 1})
	if err != nil {
		t.Fatal(err)
	}
	if d.Y[0] != 7 || d.Y[1] != 8 || d.X[2] != 3 || d.Classes != 0 || d.FeatureNames[0] != "column 2" {
		t.Fatalf("%+v", d)
	}
	// LabelCol −2 is the second last.
	d, err = datasets.ReadCSV(strings.NewReader("7;1;2\n"), "t.csv", datasets.CSVOptions{LabelCol: -2, Comma: ';', Header: datasets.HeaderNo})
	if err != nil || d.Y[0] != 1 {
		t.Fatalf("%v %+v", err, d)
	}
}

func TestCSVErrors(t *testing.T) {
	for _, c := range []struct {
		name, in string
		o        datasets.CSVOptions
		want     string
	}{
		{"ragged", "1,2,3\n4,5\n", datasets.CSVOptions{}, "t.csv, line 2, column 3: 2 columns, want 3 as on line 1"},
		{"ragged-long", "x,y\n1,2\n3,4,5\n", datasets.CSVOptions{}, "t.csv, line 3, column 3: 3 columns, want 2 as on line 1"},
		{"non-numeric", "a,b,y\n1,2,0\n3,oops,1\n", datasets.CSVOptions{}, `t.csv, line 3, column 2 ("b"): cannot read "oops" as a number`},
		{"empty-cell", "1,,0\n", datasets.CSVOptions{}, "t.csv, line 1, column 2: empty cell"},
		{"nan", "1,NaN,0\n", datasets.CSVOptions{}, `t.csv, line 1, column 2: non-finite value "NaN"`},
		{"mixed-header", "x,2,y\n1,2,0\n", datasets.CSVOptions{}, `t.csv, line 1, column 1: cannot read "x" as a number (line 1 was read as data`},
		{"label-range", "1,2,3\n", datasets.CSVOptions{LabelCol: 4}, "t.csv, line 1: label column 4 out of range: the file has 3 columns"},
		{"label-range-neg", "1,2,3\n", datasets.CSVOptions{LabelCol: -4}, "label column -4 out of range"},
		{"non-integer-class", "a,y\n1,0\n2,1.5\n", datasets.CSVOptions{Classification: true}, `t.csv, line 3, column 2 ("y"): class label 1.5 is not a class index`},
		{"negative-class", "1,-1\n", datasets.CSVOptions{Classification: true}, "class label -1 is not a class index"},
		{"binary", "1,0\n2,2\n", datasets.CSVOptions{Classification: true, MaxClasses: 2}, "t.csv, line 2, column 2: class label 2 out of range: a model of 2 classes takes 0 … 1"},
		{"one-column", "1\n2\n", datasets.CSVOptions{}, "t.csv, line 1: 1 column; need a target"},
		{"header-only", "a,b\n", datasets.CSVOptions{}, "t.csv: no data rows"},
		{"empty", "", datasets.CSVOptions{}, "t.csv: no data rows"},
		{"quote", "1,\"2\n3,4\n", datasets.CSVOptions{}, "t.csv, line 2, column 5: extraneous or missing \" in quoted-field"},
		{"line-after-blank", "1,2\n\n\n3,x\n", datasets.CSVOptions{}, `t.csv, line 4, column 2: cannot read "x"`},
	} {
		_, err := datasets.ReadCSV(strings.NewReader(c.in), "t.csv", c.o)
		var ce *datasets.CSVError
		if err == nil || !strings.Contains(err.Error(), c.want) || !errors.As(err, &ce) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
}

func TestLoadCSVFile(t *testing.T) {
	_, err := datasets.LoadCSV(filepath.Join(t.TempDir(), "missing.csv"), datasets.CSVOptions{})
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "missing.csv") {
		t.Errorf("missing file: %v", err)
	}
	p := filepath.Join(t.TempDir(), "ok.csv")
	os.WriteFile(p, []byte("1,2\n3,4\n"), 0o644)
	d, err := datasets.LoadCSV(p, datasets.CSVOptions{})
	if err != nil || d.Rows != 2 || d.Name != p {
		t.Errorf("%v %+v", err, d)
	}
	if _, err := datasets.ParseCSVHeader("maybe"); err == nil {
		t.Error("ParseCSVHeader accepted maybe")
	}
}

// A UTF-8 byte-order mark is skipped whether or not line 1 is a header
// (issue 17: without a header it failed as `cannot read "\ufeff1" as a
// number`); a UTF-16 one is a clear error.
func TestReadCSVByteOrderMark(t *testing.T) {
	for _, h := range []datasets.CSVHeader{datasets.HeaderAuto, datasets.HeaderNo} {
		d, err := datasets.ReadCSV(strings.NewReader("\ufeff1,2,0\n3,4,1\n"), "t.csv", datasets.CSVOptions{Header: h, Classification: true})
		if err != nil {
			t.Fatalf("header %v: %v", h, err)
		}
		if d.Rows != 2 || d.X[0] != 1 || d.Classes != 2 {
			t.Errorf("header %v: %+v", h, d)
		}
	}
	for _, h := range []datasets.CSVHeader{datasets.HeaderAuto, datasets.HeaderYes} {
		d, err := datasets.ReadCSV(strings.NewReader("\ufeffa,b,y\n1,2,0\n"), "t.csv", datasets.CSVOptions{Header: h})
		if err != nil || d.Rows != 1 || d.FeatureNames[0] != "a" {
			t.Errorf("header %v: %v %q", h, err, d.FeatureNames)
		}
	}
	// Only a leading mark is skipped: one inside a cell is an error.
	if _, err := datasets.ReadCSV(strings.NewReader("1,2\n\ufeff3,4\n"), "t.csv", datasets.CSVOptions{}); err == nil ||
		!strings.Contains(err.Error(), "t.csv, line 2, column 1") {
		t.Errorf("mark on line 2: %v", err)
	}
	for _, bom := range []string{"\xff\xfe", "\xfe\xff"} {
		_, err := datasets.ReadCSV(strings.NewReader(bom+"1\x002\x00"), "t.csv", datasets.CSVOptions{})
		if err == nil || !strings.Contains(err.Error(), "t.csv, line 1: UTF-16 text") {
			t.Errorf("UTF-16 %q: %v", bom, err)
		}
	}
}

// A stray class label must not silently make a huge model (issue 17: 999999
// in a four-row file made 1 000 000 classes). The error names the label's
// line and column and lists the labels present; the class limit is
// overridable, and declaring the count (MaxClasses) allows empty classes.
func TestReadCSVClassCount(t *testing.T) {
	cls := datasets.CSVOptions{Classification: true}
	stray := "a,b,label\n1,2,0\n3,4,1\n5,6,999999\n7,8,2\n"
	_, err := datasets.ReadCSV(strings.NewReader(stray), "t.csv", cls)
	want := `t.csv, line 4, column 3 ("label"): class label 999999 would make 1000000 classes, more than the limit of 1000`
	if err == nil || err.Error() != want || !errors.Is(err, datasets.ErrClassCount) {
		t.Errorf("stray label:\n got %v\nwant %s", err, want)
	}
	// Under the limit but far beyond the rows.
	sparse := "1,2,0\n3,4,1\n5,6,40\n7,8,2\n9,9,40\n"
	_, err = datasets.ReadCSV(strings.NewReader(sparse), "t.csv", cls)
	want = "t.csv, line 3, column 3: class label 40 would make 41 classes, but the file has 5 rows, with labels 0, 1, 2, 40: a stray label?"
	if err == nil || err.Error() != want || !errors.Is(err, datasets.ErrClassCount) {
		t.Errorf("sparse labels:\n got %v\nwant %s", err, want)
	}
	// Declared: the same file is a model of 41 classes, 4 of them present.
	d, err := datasets.ReadCSV(strings.NewReader(sparse), "t.csv", datasets.CSVOptions{Classification: true, MaxClasses: 41})
	if err != nil || d.Classes != 41 || len(d.TargetNames) != 41 {
		t.Fatalf("declared: %v %+v", err, d)
	}
	if c := d.ClassCounts(); len(c) != 41 || c[0] != 1 || c[1] != 1 || c[2] != 1 || c[40] != 2 || c[3] != 0 {
		t.Errorf("ClassCounts = %v", c)
	}
	// Up to 16 classes a small file is not questioned.
	if d, err := datasets.ReadCSV(strings.NewReader("1,0\n2,15\n"), "t.csv", cls); err != nil || d.Classes != 16 {
		t.Errorf("16 classes on 2 rows: %v", err)
	}
	// The limit: 1 000 classes by default, overridable.
	var b strings.Builder
	for i := 0; i < 1500; i++ {
		fmt.Fprintf(&b, "%d,%d\n", i, i)
	}
	_, err = datasets.ReadCSV(strings.NewReader(b.String()), "t.csv", cls)
	if err == nil || !strings.Contains(err.Error(), "t.csv, line 1001, column 2: class label 1000 would make 1001 classes, more than the limit of 1000") {
		t.Errorf("1500 classes: %v", err)
	}
	d, err = datasets.ReadCSV(strings.NewReader(b.String()), "t.csv", datasets.CSVOptions{Classification: true, ClassLimit: 1500})
	if err != nil || d.Classes != 1500 {
		t.Errorf("1500 classes with ClassLimit 1500: %v", err)
	}
	if _, err := datasets.ReadCSV(strings.NewReader("1,0\n"), "t.csv", datasets.CSVOptions{Classification: true, MaxClasses: 2000}); err == nil ||
		!strings.Contains(err.Error(), "2000 classes declared, above the limit of 1000") {
		t.Errorf("MaxClasses 2000: %v", err)
	}
	// A label too large for an int is an error, not a conversion.
	if _, err := datasets.ReadCSV(strings.NewReader("1,1e300\n"), "t.csv", datasets.CSVOptions{Classification: true, ClassLimit: math.MaxInt}); err == nil ||
		!errors.Is(err, datasets.ErrClassCount) {
		t.Errorf("label 1e300: %v", err)
	}
	// Regression targets are not class labels.
	if _, err := datasets.ReadCSV(strings.NewReader(stray), "t.csv", datasets.CSVOptions{}); err != nil {
		t.Errorf("regression: %v", err)
	}
}
