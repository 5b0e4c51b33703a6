//go:build !purego

package asm

// Placeholder until the NEON kernels land: this build has none.

// HaveNEON reports whether this build contains the NEON kernels.
const HaveNEON = false

func SGDNEONF32(p, g []float32, c *[5]float32, flags uint64)                 { panic("asm: no NEON") }
func SGDNEONF64(p, g []float64, c *[5]float64, flags uint64)                 { panic("asm: no NEON") }
func MomentumNEONF32(p, g, b []float32, c *[5]float32, flags uint64)         { panic("asm: no NEON") }
func MomentumNEONF64(p, g, b []float64, c *[5]float64, flags uint64)         { panic("asm: no NEON") }
func AdamNEONF32(p, g, m, v []float32, c *[9]float32, flags uint64)          { panic("asm: no NEON") }
func AdamNEONF64(p, g, m, v []float64, c *[9]float64, flags uint64)          { panic("asm: no NEON") }
func AMSGradNEONF32(p, g, m, v, vmax []float32, c *[9]float32, flags uint64) { panic("asm: no NEON") }
func AMSGradNEONF64(p, g, m, v, vmax []float64, c *[9]float64, flags uint64) { panic("asm: no NEON") }
func SumSquaresNEONF32(x []float32) (sum float64)                            { panic("asm: no NEON") }
func SumSquaresNEONF64(x []float64) (sum float64, finite bool)               { panic("asm: no NEON") }
func DotNEONF32(x, y []float32) float32                                      { panic("asm: no NEON") }
func DotNEONF64(x, y []float64) float64                                      { panic("asm: no NEON") }
func AxpyNEONF32(a float32, x, y []float32)                                  { panic("asm: no NEON") }
func AxpyNEONF64(a float64, x, y []float64)                                  { panic("asm: no NEON") }
func ScaleNEONF32(a float32, x []float32)                                    { panic("asm: no NEON") }
func ScaleNEONF64(a float64, x []float64)                                    { panic("asm: no NEON") }
