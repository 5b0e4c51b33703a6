package datasets

// CSV files: LoadCSV and ReadCSV read a numeric CSV file into a Dataset for
// training, with errors that name the file, line and column of the first bad
// cell.
//
// Every cell is a number (strconv.ParseFloat, surrounding spaces allowed,
// NaN and ±Inf refused). One column holds the target; the others are the
// features, in file order. With Classification set, targets must be class
// indices — integers 0, 1, … — and Classes is the largest plus one, or
// CSVOptions.MaxClasses when that is set. Dataset.ClassCounts tells which
// classes have rows.
//
// A class count inferred from the labels is checked, so that one stray label
// (999999 in a file of four rows) cannot make a model of a million classes:
// a label that makes more than CSVOptions.ClassLimit classes
// (DefaultClassLimit, 1000, when 0), or, with MaxClasses unset, more than
// max(16, 2·rows) classes, so that most classes could have no row, is an
// error naming its line. Setting MaxClasses declares the count and lifts the
// second check; ClassLimit bounds MaxClasses too.
//
// A UTF-8 byte-order mark at the start of the file is skipped; a UTF-16 one
// is an error (the file must be UTF-8).
//
// Columns are numbered from 1 in CSVOptions and in errors, as in the file's
// text; LabelCol 0 means the last column and negative values count from the
// end (−1 is the last). A first line is a header when CSVOptions.Header says
// so, or, with HeaderAuto, when none of its cells is a number.

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"slices"
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
	// MaxClasses > 0 declares the number of classes: the class indices must
	// be 0 … MaxClasses−1 (2 for a binary model), and Classes is MaxClasses
	// even if some have no row. 0 infers the number from the labels.
	MaxClasses int
	// ClassLimit is the most classes accepted, declared or inferred;
	// 0 means DefaultClassLimit.
	ClassLimit int
	Comma      rune // field separator; 0 is ','
}

// DefaultClassLimit is the most classes ReadCSV accepts when
// CSVOptions.ClassLimit is 0.
const DefaultClassLimit = 1000

// minSparseClasses is the class count up to which an inferred count is not
// checked against the number of rows.
const minSparseClasses = 16

// ErrClassCount is wrapped by the CSVError of a class label that makes more
// classes than CSVOptions.ClassLimit, or (with MaxClasses unset) far more
// classes than the file has rows.
var ErrClassCount = errors.New("too many classes")

// CSVError is a problem with a CSV file's contents at a line and column
// (both from 1; Col 0 when the whole line is at fault).
type CSVError struct {
	File      string
	Line, Col int
	Name      string // the column's header name, if any
	Msg       string
	Err       error // a sentinel such as ErrClassCount, or nil
}

// Unwrap returns Err.
func (e *CSVError) Unwrap() error { return e.Err }

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
	limit := o.ClassLimit
	if limit <= 0 {
		limit = DefaultClassLimit
	}
	if o.Classification && o.MaxClasses > limit {
		return nil, fmt.Errorf("%s: %d classes declared, above the limit of %d (CSVOptions.ClassLimit)", name, o.MaxClasses, limit)
	}
	br := bufio.NewReader(r)
	if b, _ := br.Peek(3); bytes.HasPrefix(b, []byte("\xef\xbb\xbf")) {
		br.Discard(3) // UTF-8 byte-order mark (Excel's "CSV UTF-8")
	} else if bytes.HasPrefix(b, []byte("\xff\xfe")) || bytes.HasPrefix(b, []byte("\xfe\xff")) {
		return nil, &CSVError{File: name, Line: 1, Msg: "UTF-16 text (it starts with a UTF-16 byte-order mark); save the file as UTF-8"}
	}
	cr := csv.NewReader(br)
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
	var maxErr func(string) *CSVError // the error naming the largest label's cell
	counts := map[int]int{}           // rows per class present
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
			cellErr := func(msg string) *CSVError {
				l, _ := cr.FieldPos(j)
				e := &CSVError{File: name, Line: l, Col: j + 1, Msg: msg}
				if header != nil {
					e.Name = header[j]
				}
				return e
			}
			if err != nil {
				e := cellErr(err.Error())
				if rec == 0 && o.Header == HeaderAuto {
					e.Msg += " (line 1 was read as data, as some of its cells are numbers; if it is a header, say so)"
				}
				return nil, e
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
				if v >= float64(limit) {
					e := cellErr(fmt.Sprintf("class label %s would make %s classes, more than the limit of %d", strings.TrimSpace(f), countStr(v+1), limit))
					e.Err = ErrClassCount
					return nil, e
				}
				c := int(v)
				if c > maxClass {
					maxClass = c
					e := cellErr("")
					maxErr = func(msg string) *CSVError { e.Msg = msg; e.Err = ErrClassCount; return e }
				}
				counts[c]++
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
		if o.MaxClasses == 0 && d.Classes > max(minSparseClasses, 2*d.Rows) {
			present := slices.Sorted(maps.Keys(counts))
			return nil, maxErr(fmt.Sprintf("class label %d would make %d classes, but the file has %d rows, with labels %s: a stray label?",
				maxClass, d.Classes, d.Rows, listInts(present, 10)))
		}
		for c := 0; c < d.Classes; c++ {
			d.TargetNames = append(d.TargetNames, strconv.Itoa(c))
		}
	}
	return d, nil
}

// countStr formats a whole number: in full up to 10¹⁵, else as 1e+300.
func countStr(v float64) string {
	if v < 1e15 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// listInts writes up to max values of v, "0, 1, 2", then "… and N more".
func listInts(v []int, max int) string {
	var b strings.Builder
	for i, x := range v {
		if i == max {
			fmt.Fprintf(&b, " … and %d more", len(v)-max)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(x))
	}
	return b.String()
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
