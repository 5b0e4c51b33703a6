package asm

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/arch/arm64/arm64asm"
)

// The NEON kernels encode the instructions that Go 1.26's assembler lacks as
// WORD $0x… // <instruction in GNU syntax>. These tests decode every such
// word with independent disassemblers and require the comment to match.

// wordLine is one WORD directive of neon_arm64.s.
type wordLine struct {
	line int
	w    uint32
	want string // the comment, normalized
}

var wordRE = regexp.MustCompile(`^\s*WORD\s+\$0x([0-9a-fA-F]{8})\s*(?://\s*(.*))?$`)

func neonWords(t *testing.T) []wordLine {
	t.Helper()
	src, err := os.ReadFile("neon_arm64.s")
	if err != nil {
		t.Fatal(err)
	}
	var ws []wordLine
	sc := bufio.NewScanner(bytes.NewReader(src))
	for n := 1; sc.Scan(); n++ {
		text := sc.Text()
		if !strings.Contains(text, "WORD") {
			continue
		}
		m := wordRE.FindStringSubmatch(text)
		if m == nil {
			t.Fatalf("neon_arm64.s:%d: malformed WORD line %q", n, text)
		}
		if m[2] == "" {
			t.Fatalf("neon_arm64.s:%d: WORD without the instruction in a comment", n)
		}
		w, err := strconv.ParseUint(m[1], 16, 32)
		if err != nil {
			t.Fatal(err)
		}
		ws = append(ws, wordLine{n, uint32(w), norm(m[2])})
	}
	if len(ws) == 0 {
		t.Fatal("neon_arm64.s has no WORD lines")
	}
	return ws
}

// norm lower-cases an instruction and separates its fields by single spaces.
func norm(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(strings.ReplaceAll(s, ",", ", "))), " ")
}

// decode disassembles w with golang.org/x/arch/arm64/arm64asm.
func decode(w uint32) string {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], w)
	in, err := arm64asm.Decode(b[:])
	if err != nil {
		return "<" + err.Error() + ">"
	}
	return norm(arm64asm.GNUSyntax(in))
}

func TestNEONWords(t *testing.T) {
	ws := neonWords(t)
	seen := map[string]int{}
	for _, l := range ws {
		if got := decode(l.w); got != l.want {
			t.Errorf("neon_arm64.s:%d: WORD $%#08x decodes as %q, comment says %q", l.line, l.w, got, l.want)
		}
		seen[strings.Fields(l.want)[0]]++
	}
	t.Logf("%d words checked: %v", len(ws), seen)
}

// TestNEONWordsCheck makes sure the comparison above can fail: a word with
// another destination register, or another element size, must not match its
// comment.
func TestNEONWordsCheck(t *testing.T) {
	for _, l := range neonWords(t) {
		for _, flip := range []uint32{1 << 0, 1 << 22} {
			if got := decode(l.w ^ flip); got == l.want {
				t.Fatalf("neon_arm64.s:%d: WORD $%#08x with bits %#x flipped still decodes as %q", l.line, l.w, flip, got)
			}
		}
	}
}

// TestNEONWordsObjdump checks the words with GNU objdump as well, where
// aarch64-linux-gnu-objdump (Debian: binutils-aarch64-linux-gnu) is installed.
func TestNEONWordsObjdump(t *testing.T) {
	objdump, err := exec.LookPath("aarch64-linux-gnu-objdump")
	if err != nil {
		t.Skip("aarch64-linux-gnu-objdump not installed")
	}
	ws := neonWords(t)
	bin := filepath.Join(t.TempDir(), "words.bin")
	buf := make([]byte, 4*len(ws))
	for i, l := range ws {
		binary.LittleEndian.PutUint32(buf[4*i:], l.w)
	}
	if err := os.WriteFile(bin, buf, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(objdump, "-D", "-b", "binary", "-m", "aarch64", bin).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", objdump, err, out)
	}
	lineRE := regexp.MustCompile(`^\s*([0-9a-f]+):\s+([0-9a-f]{8})\s+(.*)$`)
	n := 0
	for _, text := range strings.Split(string(out), "\n") {
		m := lineRE.FindStringSubmatch(text)
		if m == nil {
			continue
		}
		off, _ := strconv.ParseUint(m[1], 16, 64)
		i := int(off / 4)
		if i >= len(ws) {
			t.Fatalf("objdump line beyond the words: %q", text)
		}
		l := ws[i]
		if w, _ := strconv.ParseUint(m[2], 16, 32); uint32(w) != l.w {
			t.Fatalf("objdump shows %s at word %d, want %#08x", m[2], i, l.w)
		}
		if got := norm(m[3]); got != l.want {
			t.Errorf("neon_arm64.s:%d: WORD $%#08x: objdump says %q, comment says %q", l.line, l.w, got, l.want)
		}
		n++
	}
	if n != len(ws) {
		t.Fatalf("objdump decoded %d of %d words", n, len(ws))
	}
}
