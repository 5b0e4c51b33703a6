package datasets

// CSV files: LoadCSV and ReadCSV read a numeric CSV file into a Dataset for
// training, with errors that name the file, line and column of the first bad
// cell.
//
// Every cell is a number (strconv.ParseFloat, surrounding spaces allowed,
// NaN and ±Inf refused). One column holds the target; the others are the
// features, in file order. With Classification set, targets must be class
// indices — integers 0, 1, … — and Classes is the largest plus one.
//
// Columns are numbered from 1 in CSVOptions and in errors, as in the file's
// text; LabelCol 0 means the last column and negative values count from the
// end (−1 is the last). A first line is a header when CSVOptions.Header says
// so, or, with HeaderAuto, when none of its cells is a number.

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// CSVHeader says whether a CSV file's first line names the columns.
type CSVHeader int

const (
	HeaderAuto CSVHeader = iota // a header when none of line 1's cells parses as a number
	HeaderYes
	HeaderNo
)

// ParseCSVHeader parses "auto", "yes"/"true" or "no"/"false".
func ParseCSVHeader(s string) (CSVHeader, error) {
	switch strings.ToLower(s) {
	case "auto", "":
		return HeaderAuto, nil
	case "yes", "true", "1":
		return HeaderYes, nil
	case "no", "false", "0":
		return HeaderNo, nil
	}
	return 0, fmt.Errorf("header %q: want auto, yes or no", s)
}

// CSVOptions configure LoadCSV and ReadCSV.
type CSVOptions struct {
	LabelCol       int       // 1-based column of the target; 0 is the last, negative counts from the end
	Header         CSVHeader // HeaderAuto by default
	Classification bool      // targets are class indices
	// MaxClasses > 0 bounds the class indices to 0 … MaxClasses−1 (2 for a
	// binary model).
	MaxClasses int
	Comma      rune // field separator; 0 is ','
}

// CSVError is a problem with a CSV file's contents at a line and column
// (both from 1; Col 0 when the whole line is at fault).
type CSVError struct {
	File      string
	Line, Col int
	Name      string // the column's header name, if any
	Msg       string
}

func (e *CSVError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ", line %d", e.Line)
	}
	if e.Col > 0 {
		fmt.Fprintf(&b, ", column %d", e.Col)
		if e.Name != "" {
			fmt.Fprintf(&b, " (%q)", e.Name)
		}
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// LoadCSV reads the CSV file at path. The dataset's Name is path.
func LoadCSV(path string, o CSVOptions) (*Dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err // *PathError: "open PATH: no such file or directory"
	}
	defer f.Close()
	return ReadCSV(f, path, o)
}

// ReadCSV reads CSV data from r; name stands for the file in errors and is
// the dataset's Name.
func ReadCSV(r io.Reader, name string, o CSVOptions) (*Dataset, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // checked here, with a better message
	cr.ReuseRecord = false
	if o.Comma != 0 {
		cr.Comma = o.Comma
	}
	d := &Dataset{Name: name}
	var header []string
	want, wantLine := 0, 0
	label := -1
	maxClass := -1
	for rec := 0; ; rec++ {
		fields, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, &CSVError{File: name, Line: pe.Line, Col: pe.Column, Msg: pe.Err.Error()}
			}
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		if rec == 0 {
			want, wantLine = len(fields), line
			if want < 2 {
				return nil, &CSVError{File: name, Line: line, Msg: fmt.Sprintf("%d column; need a target and at least one feature", want)}
			}
			switch label = o.LabelCol; {
			case label == 0:
				label = want - 1
			case label < 0:
				label += want
			default:
				label--
			}
			if label < 0 || label >= want {
				return nil, &CSVError{File: name, Line: line, Msg: fmt.Sprintf("label column %d out of range: the file has %d columns", o.LabelCol, want)}
			}
			isHeader := o.Header == HeaderYes
			if o.Header == HeaderAuto {
				isHeader = true
				for _, f := range fields {
					if _, err := parseNum(f); err == nil {
						isHeader = false
					}
				}
			}
			if isHeader {
				header = append([]string(nil), fields...)
				continue
			}
		}
		if len(fields) != want {
			col := min(len(fields), want) + 1
			return nil, &CSVError{File: name, Line: line, Col: col,
				Msg: fmt.Sprintf("%d columns, want %d as on line %d", len(fields), want, wantLine)}
		}
		for j, f := range fields {
			v, err := parseNum(f)
			cellErr := func(msg string) error {
				l, _ := cr.FieldPos(j)
				e := &CSVError{File: name, Line: l, Col: j + 1, Msg: msg}
				if header != nil {
					e.Name = header[j]
				}
				if rec == 0 && o.Header == HeaderAuto {
					e.Msg += " (line 1 was read as data, as some of its cells are numbers; if it is a header, say so)"
				}
				return e
			}
			if err != nil {
				return nil, cellErr(err.Error())
			}
			if j != label {
				d.X = append(d.X, v)
				continue
			}
			if o.Classification {
				if v != math.Trunc(v) || v < 0 {
					return nil, cellErr(fmt.Sprintf("class label %s is not a class index (an integer 0, 1, …)", strings.TrimSpace(f)))
				}
				if o.MaxClasses > 0 && v >= float64(o.MaxClasses) {
					return nil, cellErr(fmt.Sprintf("class label %s out of range: a model of %d classes takes 0 … %d", strings.TrimSpace(f), o.MaxClasses, o.MaxClasses-1))
				}
				if v > 1e6 {
					return nil, cellErr(fmt.Sprintf("class label %s is too large", strings.TrimSpace(f)))
				}
				maxClass = max(maxClass, int(v))
			}
			d.Y = append(d.Y, v)
		}
	}
	if len(d.Y) == 0 {
		return nil, &CSVError{File: name, Msg: "no data rows"}
	}
	d.Rows, d.Cols = len(d.Y), want-1
	for j := 0; j < want; j++ {
		if j == label {
			continue
		}
		if header != nil {
			d.FeatureNames = append(d.FeatureNames, header[j])
		} else {
			d.FeatureNames = append(d.FeatureNames, fmt.Sprintf("column %d", j+1))
		}
	}
	if o.Classification {
		d.Classes = maxClass + 1
		if o.MaxClasses > d.Classes {
			d.Classes = o.MaxClasses
		}
		for c := 0; c < d.Classes; c++ {
			d.TargetNames = append(d.TargetNames, strconv.Itoa(c))
		}
	}
	return d, nil
}

func parseNum(s string) (float64, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, errors.New("empty cell")
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil {
		return 0, fmt.Errorf("cannot read %q as a number", t)
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("non-finite value %q", t)
	}
	return v, nil
}
