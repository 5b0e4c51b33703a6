package optim

import (
	"errors"
	"fmt"
)

// AddGroup adds a parameter group to the optimizer, as PyTorch's
// add_param_group: parameters with their own hyper-parameters (optim.Values
// or the rule's typed struct, defaults for the rest) and schedule, and
// fresh state (zero moments, no momentum buffer yet …). The group counts
// its own updates from here — Adam's bias correction starts at 1 and a
// momentum buffer takes its first gradient on the group's first update, as
// PyTorch's per-parameter state does — while the schedule is evaluated at
// the optimizer's step count, as for the other groups. Checkpoints record
// when each group was added ("group.<g>.born"); to resume, build the
// optimizer with every group and Load.
//
// The parameters are checked as New checks them (names unique across the
// optimizer, no overlapping slices); on error nothing changes. Embedding
// tables must be given at construction. AddGroup must not run concurrently
// with Step.
func (o *Optimizer) AddGroup(g Group) error {
	c := o.c
	if len(g.Embeddings) > 0 {
		return errors.New("optim: AddGroup: embedding tables are given at construction")
	}
	if len(g.Params) == 0 {
		return errors.New("optim: AddGroup: the group has no parameters")
	}
	h, err := c.alg.rule.newHyper(c.alg, g.Hyper)
	if err != nil {
		return fmt.Errorf("optim: AddGroup: %w", err)
	}
	var all []*Param
	for _, t := range c.tensors {
		if _, sparse := t.(sparser); sparse {
			continue
		}
		p := t.param()
		all = append(all, &p)
	}
	ps := append([]Param(nil), g.Params...)
	for i := range ps {
		if _, ok := c.byName[ps[i].Name]; ok {
			return fmt.Errorf("optim: AddGroup: duplicate parameter name %q", ps[i].Name)
		}
		all = append(all, &ps[i])
	}
	if err := checkParams(all); err != nil {
		return fmt.Errorf("optim: AddGroup: %w", err)
	}
	q8min, err := g.q8Min()
	if err != nil {
		return fmt.Errorf("optim: AddGroup: %w", err)
	}
	for i := range ps {
		if err := checkStorage(c.alg, &ps[i], h, q8min); err != nil {
			return fmt.Errorf("optim: AddGroup: %w", err)
		}
	}
	if err := checkShapes(h, ps); err != nil {
		return fmt.Errorf("optim: AddGroup: %w", err)
	}
	gi := len(c.groups)
	c.groups = append(c.groups, group{h: h, sched: g.Schedule, lr: h.baseLR(), cycle: cycleIndex(g.Schedule, h), born: c.step, q8min: q8min})
	c.addTensors(gi, ps)
	c.partition(ChunkElems)
	return nil
}
