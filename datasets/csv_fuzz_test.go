package datasets

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"
)

// FuzzReadCSV feeds arbitrary bytes and options to the CSV loader. It must never
// panic; an error is a *CSVError naming the file with a line (or the whole
// file for "no data rows"), and a dataset it returns is consistent: X is
// Rows×Cols, every value finite, class labels integers in [0, Classes), and
// an inferred class count within the limits (DefaultClassLimit, and
// max(16, 2·Rows)).
func FuzzReadCSV(f *testing.F) {
	for _, seed := range []string{
		"a,b,y\n1,2,0\n3,4,1\n",
		"1,2,3\n4,5,6\n",
		"1,2\n3\n",
		"x,y\n1,four\n",
		"1,2,\"3\n",
		"1e400,2\n",
		"NaN,1\n",
		"",
		"\n\n",
		"1;2;0\n3;4;1\n",
		"  1 , 2 ,0\n",
		"1,2,0.5\n",
		"1,2,-1\n",
		"\ufeff1,2,0\n3,4,1\n",
		"\ufeffa,b\n1,2\n",
		"\xff\xfe1\x00",
		"1,2,0\n3,4,999999\n5,6,1\n",
		"1,2,0\n3,4,17\n",
	} {
		f.Add([]byte(seed), int8(0), uint8(0), true, uint8(0), false)
	}
	f.Fuzz(func(t *testing.T, data []byte, labelCol int8, header uint8, class bool, maxClasses uint8, semicolon bool) {
		o := CSVOptions{LabelCol: int(labelCol), Header: CSVHeader(header % 3), Classification: class, MaxClasses: int(maxClasses % 12)}
		if semicolon {
			o.Comma = ';'
		}
		d, err := ReadCSV(bytes.NewReader(data), "in.csv", o)
		if err != nil {
			var e *CSVError
			if !errors.As(err, &e) {
				if !strings.HasPrefix(err.Error(), "in.csv: ") {
					t.Fatalf("error %q is neither *CSVError nor names the file", err)
				}
				return
			}
			if e.File != "in.csv" || (e.Line < 1 && e.Msg != "no data rows") || e.Col < 0 {
				t.Fatalf("error %#v: want the file and a line", e)
			}
			return
		}
		if d.Rows < 1 || d.Cols < 1 || len(d.X) != d.Rows*d.Cols || len(d.Y) != d.Rows || len(d.FeatureNames) != d.Cols {
			t.Fatalf("inconsistent dataset: rows %d cols %d len(X) %d len(Y) %d names %d", d.Rows, d.Cols, len(d.X), len(d.Y), len(d.FeatureNames))
		}
		for i, x := range d.X {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				t.Fatalf("X[%d] = %v", i, x)
			}
		}
		for i, y := range d.Y {
			if math.IsNaN(y) || math.IsInf(y, 0) {
				t.Fatalf("Y[%d] = %v", i, y)
			}
			if class && (y != math.Trunc(y) || y < 0 || int(y) >= d.Classes) {
				t.Fatalf("Y[%d] = %v is not a class index below %d", i, y, d.Classes)
			}
		}
		if class && o.MaxClasses > 0 && d.Classes != o.MaxClasses {
			t.Fatalf("Classes = %d, MaxClasses %d", d.Classes, o.MaxClasses)
		}
		if class && (d.Classes > DefaultClassLimit || o.MaxClasses == 0 && d.Classes > max(minSparseClasses, 2*d.Rows)) {
			t.Fatalf("Classes = %d for %d rows", d.Classes, d.Rows)
		}
	})
}
