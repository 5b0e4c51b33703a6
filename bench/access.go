package bench

import (
	"fmt"

	"github.com/descent-go/descent/kernels"
)

// Access is a kernel's memory access pattern: it selects the roofline probe
// the kernel is compared with (Roofline.Probe). Its values are the probes'
// names, as in Roofline's JSON fields.
type Access string

const (
	// AccessRead: no stream is written (SumSquares, Dot). Compared with the
	// read probe.
	AccessRead Access = "read"
	// AccessRMW: every written stream is also read, in place (the optimizer
	// updates, Axpy, Scale), beside any read-only streams (a gradient).
	// Compared with the read-modify-write probe.
	AccessRMW Access = "rmw"
	// AccessCopy: some stream is written without being read (Momentum's
	// buffer on its first step). Compared with the copy probe.
	AccessCopy Access = "copy"
)

// AccessOf derives the access pattern of kernel k under flags from the
// catalog: which of its streams in use (Stream.Used) are written
// (Stream.Write) and which are read (Stream.Read, as Info.Moves counts the
// reads under flags, so that a stream a variant only writes counts as not
// read).
func AccessOf(k kernels.Info, flags uint64) Access {
	writes, blind := 0, 0
	for _, s := range k.Streams {
		if !s.Used(flags) || !s.Write {
			continue
		}
		writes++
		one := k // Moves of the stream alone: its write, plus one if it is read
		one.Streams = []kernels.Stream{s}
		if one.Moves(flags) < 2 {
			blind++
		}
	}
	switch {
	case writes == 0:
		return AccessRead
	case blind == 0:
		return AccessRMW
	}
	return AccessCopy
}

// Access is the case's access pattern under its kernel's typical flags.
func (c Case) Access() Access { return AccessOf(c.Kernel, c.Kernel.TypicalFlags) }

// Probe returns the bandwidth of the probe that measures access pattern a,
// in bytes (read plus written) per second.
func (r Roofline) Probe(a Access) float64 {
	switch a {
	case AccessRead:
		return r.Read
	case AccessRMW:
		return r.RMW
	case AccessCopy:
		return r.Copy
	}
	panic(fmt.Sprintf("bench: no roofline probe for access pattern %q", a))
}
