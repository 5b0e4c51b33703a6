package main

import (
	"fmt"
	"strings"
)

// describeClasses says how many classes a model has and which have rows:
// "3, all with rows (0: 50, 1: 50, 2: 50)" or "41, 4 with rows (0: 1,
// 1: 1, 2: 1, 40: 2); none for 3–39". It lists at most 10 classes of each
// kind.
func describeClasses(counts []int) string {
	const most = 10
	var with []string
	var without []string
	present := 0
	for c := 0; c < len(counts); c++ {
		if counts[c] > 0 {
			present++
			if len(with) < most {
				with = append(with, fmt.Sprintf("%d: %d", c, counts[c]))
			} else if len(with) == most {
				with = append(with, "…")
			}
			continue
		}
		e := c // a run of classes without rows, c … e
		for e+1 < len(counts) && counts[e+1] == 0 {
			e++
		}
		switch {
		case len(without) == most:
			without = append(without, "…")
		case len(without) > most:
		case e == c:
			without = append(without, fmt.Sprint(c))
		default:
			without = append(without, fmt.Sprintf("%d–%d", c, e))
		}
		c = e
	}
	var b strings.Builder
	if present == len(counts) {
		fmt.Fprintf(&b, "%d, all with rows", len(counts))
	} else {
		fmt.Fprintf(&b, "%d, %d with rows", len(counts), present)
	}
	if len(with) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(with, ", "))
	}
	if len(without) > 0 {
		fmt.Fprintf(&b, "; none for %s", strings.Join(without, ", "))
	}
	return b.String()
}
