package main

// Optimizer flags of train and tune, made from optim's registry: one flag
// per hyper-parameter key, named by its label (weight_decay is --wd,
// lr_decay --lr-decay), with each algorithm's default in the help text.
// Nothing here knows an optimizer.

import (
	"flag"
	"fmt"
	"strings"

	"github.com/descent-go/descent/optim"
)

// hyperKey is one hyper-parameter key as the command line sees it.
type hyperKey struct {
	optim.HyperParam // the first algorithm's description
	flag             string
	algs             []*optim.Algorithm // the algorithms with the key, not fixed
}

// hyperKeys returns every key of the registry's algorithms that some
// algorithm does not fix, in the registry's order of first appearance;
// with searchable, only the keys some algorithm may search
// (HyperParam.Tune).
func hyperKeys(searchable bool) []*hyperKey {
	var ks []*hyperKey
	byKey := map[string]*hyperKey{}
	for _, a := range optim.Algorithms() {
		for _, p := range a.Hyper {
			if p.Fixed || (searchable && p.Tune == nil) {
				continue
			}
			k := byKey[p.Key]
			if k == nil {
				k = &hyperKey{HyperParam: p, flag: strings.ReplaceAll(p.Label(), "_", "-")}
				byKey[p.Key] = k
				ks = append(ks, k)
			}
			k.algs = append(k.algs, a)
		}
	}
	return ks
}

// defaults describes the algorithms' defaults of k: "sgd 0, momentum 0.9".
func (k *hyperKey) defaults() string {
	var ds []string
	for _, a := range k.algs {
		p, _ := a.Param(k.Key)
		ds = append(ds, a.Name+" "+p.Format(p.Default))
	}
	return strings.Join(ds, ", ")
}

// hyperFlag is a flag.Value for one hyper-parameter: unset until given.
type hyperFlag struct {
	*hyperKey
	set bool
	v   float64
}

func (f *hyperFlag) String() string {
	if f == nil || f.hyperKey == nil || !f.set {
		return ""
	}
	return f.Format(f.v)
}

func (f *hyperFlag) Set(s string) error {
	v, err := f.Parse(s)
	if err != nil {
		return err
	}
	f.v, f.set = v, true
	return nil
}

func (f *hyperFlag) IsBoolFlag() bool { return f.Bool }

// registerHyperFlags adds a flag for every key but lr (which train has as
// --lr) to fs.
func registerHyperFlags(fs *flag.FlagSet) []*hyperFlag {
	var fl []*hyperFlag
	for _, k := range hyperKeys(false) {
		if k.Key == "lr" {
			continue
		}
		f := &hyperFlag{hyperKey: k}
		fs.Var(f, k.flag, fmt.Sprintf("%s (default: %s)", k.Doc, k.defaults()))
		fl = append(fl, f)
	}
	return fl
}

// trainLRs describes the algorithms' default learning rates of train.
func trainLRs() string {
	var ds []string
	for _, a := range optim.Algorithms() {
		ds = append(ds, fmt.Sprintf("%s %g", a.Name, a.TrainLR))
	}
	return strings.Join(ds, ", ")
}

// applyHyperFlags returns the hyper-parameters the flags give for a, and
// an error naming a flag given for a key a does not have or fixes.
func applyHyperFlags(a *optim.Algorithm, fl []*hyperFlag) (optim.Values, error) {
	v := optim.Values{}
	for _, f := range fl {
		if !f.set {
			continue
		}
		if p, ok := a.Param(f.Key); !ok || p.Fixed {
			var own []string
			for _, p := range a.Hyper {
				if !p.Fixed {
					own = append(own, "--"+strings.ReplaceAll(p.Label(), "_", "-"))
				}
			}
			return nil, fmt.Errorf("--%s does not apply to %s (its hyper-parameters: %s)", f.flag, a.Name, strings.Join(own, ", "))
		}
		v[f.Key] = f.v
	}
	return v, nil
}

// optimNames lists the algorithms for help texts and errors.
func optimNames() string { return strings.Join(optim.Names(), ", ") }
