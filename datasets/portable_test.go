package datasets_test

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"testing"

	"github.com/descent-go/descent/datasets"
)

// portableDigest is the SHA-256 of what TestSplitStandardizePortable
// computes, the same on every architecture (recorded on amd64, checked
// under qemu on arm64, where Go fuses x*y + z into an FMA unless the
// product is converted explicitly).
const portableDigest = "18ff8e27c9d484e2c1cee5bb526fd5900318e128b1c175e93c30d08f6fad0945"

// Split and Standardize give the same bits on every architecture, so a
// training run starts from the same data everywhere (package linear's
// gradients are another matter: see its doc). Check it with
//
//	CGO_ENABLED=0 GOARCH=arm64 go test -exec qemu-aarch64 ./datasets -run Portable
func TestSplitStandardizePortable(t *testing.T) {
	var b []byte
	for _, name := range datasets.Names() {
		train, test := datasets.MustLoad(name).Split(0.2, 7)
		mean, scale := train.Standardize()
		test.StandardizeWith(mean, scale)
		for _, s := range [][]float64{mean, scale, train.X, train.Y, test.X, test.Y} {
			for _, v := range s {
				b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
			}
		}
	}
	if got := fmt.Sprintf("%x", sha256.Sum256(b)); got != portableDigest {
		t.Errorf("digest %s, want %s: Split or Standardize gives other bits on this architecture (or changed: update portableDigest from amd64)", got, portableDigest)
	}
}
