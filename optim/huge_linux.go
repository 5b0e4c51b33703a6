package optim

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// hugePageBytes is the size of a transparent huge page on the platforms
// adviseHuge serves.
const hugePageBytes = 2 << 20

// adviseHuge asks the kernel to back the whole 2 MiB pages inside x with
// transparent huge pages (madvise MADV_HUGEPAGE), for tables of at least a
// few of them: a row-sparse step reaches rows scattered over the whole
// table, and with 4 KiB pages nearly every row costs a TLB miss and a page
// walk, which dominate the step. Memory not yet touched is then faulted in
// as huge pages (where the system's THP setting allows; "never" ignores
// it). Errors are ignored: the advice changes no result, only speed.
func adviseHuge[T float32 | float64](x []T) {
	n := uintptr(len(x)) * unsafe.Sizeof(T(0))
	if n < 4*hugePageBytes {
		return
	}
	p := unsafe.Pointer(unsafe.SliceData(x))
	lo := uintptr(p)
	a := (lo + hugePageBytes - 1) &^ (hugePageBytes - 1)
	b := (lo + n) &^ (hugePageBytes - 1)
	if b <= a {
		return
	}
	unix.Madvise(unsafe.Slice((*byte)(unsafe.Add(p, a-lo)), b-a), unix.MADV_HUGEPAGE)
}
