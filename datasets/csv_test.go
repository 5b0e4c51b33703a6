package datasets_test

import (
	"errors"
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
