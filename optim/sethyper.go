package optim

import "fmt"

// SetHyper changes hyper-parameters of group g — the learning rate, weight
// decay, betas, momentum … by their keys in Hyper ("lr" is the base rate
// the group's schedule scales) — as a PyTorch user assigns
// param_group["lr"] or param_group["betas"]; the next Step uses them, and
// checkpoints store them. Keys not in v keep their values. Values that
// decide the form of the update or its state cannot change: structural
// switches (amsgrad, decoupled, centered), an alias's fixed values
// (adamw's decoupled, nesterov's nesterov) and a momentum that is 0 (no
// momentum buffer) against one that is not. Everything is validated first
// (unknown keys, ranges): on error nothing changes.
func (o *Optimizer) SetHyper(g int, v Values) error {
	c := o.c
	if g < 0 || g >= len(c.groups) {
		return fmt.Errorf("optim: SetHyper: group %d of %d", g, len(c.groups))
	}
	grp := &c.groups[g]
	cur := grp.h.values()
	next := make(Values, len(cur))
	for k, x := range cur {
		next[k] = x
	}
	for k, x := range v {
		next[k] = x
	}
	h, err := c.alg.rule.newHyper(c.alg, next)
	if err != nil {
		return fmt.Errorf("optim: SetHyper: group %d: %w", g, err)
	}
	if err := c.alg.compatible(h.values(), cur); err != nil {
		return fmt.Errorf("optim: SetHyper: group %d: the new value %w", g, err)
	}
	grp.h.assign(h)
	if c.step == 0 {
		grp.lr = grp.h.baseLR() // LR reports the base rate before the first update
	}
	return nil
}
