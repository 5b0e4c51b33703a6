package main

import (
	"fmt"
	"strings"
)

// asmFile accumulates the text of the assembly file.
type asmFile struct {
	b strings.Builder
	// words counts the WORD-encoded instructions by mnemonic.
	words map[string]int
}

// ins emits one instruction line.
func (a *asmFile) ins(format string, args ...any) {
	fmt.Fprintf(&a.b, "\t"+format+"\n", args...)
}

// comment emits a comment line.
func (a *asmFile) comment(format string, args ...any) {
	fmt.Fprintf(&a.b, "\t// "+format+"\n", args...)
}

func (a *asmFile) label(l string) { fmt.Fprintf(&a.b, "%s:\n", l) }

// word emits an instruction that Go 1.26's assembler lacks as its encoding,
// with the instruction in GNU syntax in the comment (which the test in
// package asm checks against a disassembler).
func (a *asmFile) word(w uint32, gnu string) {
	a.ins("WORD $0x%08x // %s", w, gnu)
	if a.words == nil {
		a.words = map[string]int{}
	}
	a.words[strings.Fields(gnu)[0]]++
}

// arr is the arrangement of a vector operand.
type arr struct {
	q, sz uint32 // the Q (bit 30) and sz (bit 22) fields of the encodings
	gnu   string // GNU's name: 4s, 2d
	goa   string // Go's name: S4, D2
}

var (
	a4s = arr{1, 0, "4s", "S4"}
	a2d = arr{1, 1, "2d", "D2"}
)

// Advanced SIMD "three same" floating-point instructions, Vd = Vn op Vm,
// with Q, sz, Rm, Rn and Rd zero (Arm ARM C7.2).
var fp3Base = map[string]uint32{
	"fadd":  0x0e20d400, // 0 Q 0 01110 0 sz 1 Rm 11010 1 Rn Rd
	"fsub":  0x0ea0d400, // 0 Q 0 01110 1 sz 1 Rm 11010 1 Rn Rd
	"fmul":  0x2e20dc00, // 0 Q 1 01110 0 sz 1 Rm 11011 1 Rn Rd
	"fdiv":  0x2e20fc00, // 0 Q 1 01110 0 sz 1 Rm 11111 1 Rn Rd
	"fcmeq": 0x0e20e400, // 0 Q 0 01110 0 sz 1 Rm 11100 1 Rn Rd
	"fcmgt": 0x2ea0e400, // 0 Q 1 01110 1 sz 1 Rm 11100 1 Rn Rd
}

func reg5(r int) uint32 {
	if r < 0 || r > 31 {
		panic(fmt.Sprintf("register V%d", r))
	}
	return uint32(r)
}

// fp3 emits Vd.T = Vn.T op Vm.T.
func (a *asmFile) fp3(op string, t arr, d, n, m int) {
	base, ok := fp3Base[op]
	if !ok {
		panic("no encoding for " + op)
	}
	w := base | t.q<<30 | t.sz<<22 | reg5(m)<<16 | reg5(n)<<5 | reg5(d)
	a.word(w, fmt.Sprintf("%s v%d.%s, v%d.%s, v%d.%s", op, d, t.gnu, n, t.gnu, m, t.gnu))
}

// fsqrt emits Vd.T = sqrt(Vn.T): 0 Q 1 01110 1 sz 10000 11111 10 Rn Rd.
func (a *asmFile) fsqrt(t arr, d, n int) {
	w := 0x2ea1f800 | t.q<<30 | t.sz<<22 | reg5(n)<<5 | reg5(d)
	a.word(w, fmt.Sprintf("fsqrt v%d.%s, v%d.%s", d, t.gnu, n, t.gnu))
}

// fcvtl emits Vd.2D = float64(Vn.2S), the low (upper=false, FCVTL) or the
// high (FCVTL2) two float32 lanes of Vn: 0 Q 0 01110 0 sz 10000 10111 10 Rn
// Rd with sz = 1.
func (a *asmFile) fcvtl(d, n int, upper bool) {
	w := 0x0e617800 | reg5(n)<<5 | reg5(d)
	if upper {
		a.word(w|1<<30, fmt.Sprintf("fcvtl2 v%d.2d, v%d.4s", d, n))
		return
	}
	a.word(w, fmt.Sprintf("fcvtl v%d.2d, v%d.2s", d, n))
}

// faddp emits the scalar pairwise add of lanes 0 and 1 of Vn into the scalar
// register d (S or D by size): 01 1 11110 0 sz 11000 01101 10 Rn Rd.
func (a *asmFile) faddp(size int, d, n int) {
	w := 0x7e30d800 | reg5(n)<<5 | reg5(d)
	if size == 8 {
		a.word(w|1<<22, fmt.Sprintf("faddp d%d, v%d.2d", d, n))
		return
	}
	a.word(w, fmt.Sprintf("faddp s%d, v%d.2s", d, n))
}
