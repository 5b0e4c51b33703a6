// Package datasets ships five small, real datasets for testing and
// demonstrating descent's models, embedded in the binary (≈ 120 KB
// gzip-compressed):
//
//	name           rows  features  task
//	breast_cancer   569        30  binary classification (0 malignant, 1 benign)
//	iris            150         4  3 classes
//	wine            178        13  3 classes
//	digits         1797        64  10 classes (8×8 images, values 0–16)
//	diabetes        442        10  regression (disease progression)
//
// The files are those of scikit-learn's datasets/data directory as shipped
// by Debian's python3-sklearn 1.2.1; data/NOTICE gives scikit-learn's BSD
// 3-Clause licence and each dataset's own origin and citation.
//
// [Load] parses a fresh copy each call (the caller may modify it): X is a
// row-major Rows × Cols []float64, Y holds class indices 0, 1, … as float64
// for classification and the target value for regression. The diabetes
// features are the raw, unscaled values (scikit-learn's load_diabetes
// scales them by default; use [Dataset.Standardize]).
//
// [Dataset.Standardize] centres each column and scales it to unit
// (population) standard deviation, returning the statistics so that a test
// split can be transformed the same way with [Dataset.StandardizeWith].
// [Dataset.Split] is a deterministic shuffled split: the same seed gives the
// same split on every platform and Go version (it uses its own SplitMix64
// generator, not math/rand).
//
// Load returns an error only for an unknown name; the embedded files are
// checked by the tests.
//
// A Dataset is also the table that package train's Trainer and package
// tune's search take: [LoadCSV] and [ReadCSV] read one from a numeric CSV
// file (with errors naming the file, line and column of the first bad
// cell), and [New] wraps slices of features and targets already in memory.
// [Dataset.Check] reports a Dataset whose fields disagree about its shape.
package datasets
