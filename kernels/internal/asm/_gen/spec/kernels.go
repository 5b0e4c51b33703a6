package spec

import "math"

// Kernels lists every elementwise kernel, in catalog order. Adding an update
// rule is adding one description here (and its reference loop, wrapper and
// optimizer descriptor by hand).
var Kernels = []*Kernel{
	{
		Name: "SGD", Summary: "gradient descent", Ref: "sgdRef",
		Streams: []Stream{{Name: "p", Doc: "parameters"}, {Name: "g", Doc: "gradient"}},
		Slots:   []string{"GradScale", "L2", "LR"},
		Variant: []Flag{L2, UnitScale}, Unroll: 4,
		Typical: []float64{1, 0, 1e-3}, TypicalFlags: []Flag{UnitScale},
		Body: func(b *B) {
			p := b.Load("p")
			g := b.Let("g", b.MulUnit(b.Load("g"), "GradScale"))
			g = b.Let("g", b.If(L2, b.Add(g, b.Mul(b.C("L2"), p)), g))
			b.Store("p", b.Sub(p, b.Mul(b.C("LR"), g)))
		},
	},
	{
		Name: "Momentum", Summary: "SGD with heavy-ball or Nesterov momentum", Ref: "momentumRef",
		Streams: []Stream{{Name: "p", Doc: "parameters"}, {Name: "g", Doc: "gradient"}, {Name: "buf", Doc: "momentum buffer"}},
		Slots:   []string{"GradScale", "L2", "LR", "Momentum", "OneMinusDampening"},
		Variant: []Flag{L2, First, Nesterov, UnitScale}, Unroll: 2,
		Typical: []float64{1, 0, 1e-3, 0.9, 1}, TypicalFlags: []Flag{UnitScale},
		Body: func(b *B) {
			p := b.Load("p")
			g := b.Let("g", b.MulUnit(b.Load("g"), "GradScale"))
			g = b.Let("g", b.If(L2, b.Add(g, b.Mul(b.C("L2"), p)), g))
			buf := b.If(First, g, b.Add(b.Mul(b.C("Momentum"), b.Load("buf")), b.Mul(b.C("OneMinusDampening"), g)))
			b.Store("buf", buf)
			d := b.Let("d", b.If(Nesterov, b.Add(g, b.Mul(b.C("Momentum"), buf)), buf))
			b.Store("p", b.Sub(p, b.Mul(b.C("LR"), d)))
		},
	},
	adam("Adam", false),
	adam("AMSGrad", true),
	{
		Name: "Lion", Summary: "Lion: the sign of an interpolated momentum", Ref: "lionRef",
		Streams: []Stream{{Name: "p", Doc: "parameters"}, {Name: "g", Doc: "gradient"}, {Name: "m", Doc: "momentum (exp_avg)"}},
		Slots:   []string{"GradScale", "Beta1", "OneMinusBeta1", "Beta2", "OneMinusBeta2", "WeightDecay", "LR"},
		Variant: []Flag{L2}, Unroll: 1,
		Typical: []float64{1, 0.9, 0.1, 0.99, 0.01, 0, 1e-4}, TypicalFlags: nil,
		Body: func(b *B) {
			p, m := b.Load("p"), b.Load("m")
			g := b.Let("g", b.Mul(b.Load("g"), b.C("GradScale")))
			u := b.Let("u", b.Sign(b.Add(b.Mul(b.C("Beta1"), m), b.Mul(b.C("OneMinusBeta1"), g))))
			u = b.Let("u", b.If(L2, b.Add(u, b.Mul(b.C("WeightDecay"), p)), u))
			b.Store("p", b.Sub(p, b.Mul(b.C("LR"), u)))
			b.Store("m", b.Add(b.Mul(b.C("Beta2"), m), b.Mul(b.C("OneMinusBeta2"), g)))
		},
	},
	{
		Name: "Adagrad", Summary: "Adagrad", Ref: "adagradRef",
		Streams: []Stream{{Name: "p", Doc: "parameters"}, {Name: "g", Doc: "gradient"}, {Name: "sum", Doc: "sum of squared gradients"}},
		Slots:   []string{"GradScale", "L2", "StepSize", "Eps"},
		Variant: []Flag{L2}, Unroll: 1,
		Typical: []float64{1, 0, 1e-2, 1e-10}, TypicalFlags: nil,
		Body: func(b *B) {
			p := b.Load("p")
			g := b.Let("g", b.Mul(b.Load("g"), b.C("GradScale")))
			g = b.Let("g", b.If(L2, b.Add(g, b.Mul(b.C("L2"), p)), g))
			s := b.Add(b.Load("sum"), b.Mul(g, g))
			b.Store("sum", s)
			b.Store("p", b.Sub(p, b.Div(b.Mul(b.C("StepSize"), g), b.Add(b.Sqrt(s), b.C("Eps")))))
		},
	},
	{
		Name: "RMSprop", Summary: "RMSprop, optionally centered and with momentum", Ref: "rmspropRef",
		Streams: []Stream{{Name: "p", Doc: "parameters"}, {Name: "g", Doc: "gradient"}, {Name: "sq", Doc: "average of squared gradients (square_avg)"},
			{Name: "buf", Doc: "momentum buffer", When: Momentum}, {Name: "gavg", Doc: "gradient average (grad_avg)", When: Centered}},
		Slots:   []string{"GradScale", "L2", "Alpha", "OneMinusAlpha", "Eps", "Momentum", "LR"},
		Variant: []Flag{L2, Centered, Momentum}, Unroll: 1,
		Typical: []float64{1, 0, 0.99, 0.01, 1e-8, 0, 1e-2}, TypicalFlags: nil,
		Body: func(b *B) {
			p := b.Load("p")
			g := b.Let("g", b.Mul(b.Load("g"), b.C("GradScale")))
			g = b.Let("g", b.If(L2, b.Add(g, b.Mul(b.C("L2"), p)), g))
			sq := b.Add(b.Mul(b.C("Alpha"), b.Load("sq")), b.Mul(b.Mul(b.C("OneMinusAlpha"), g), g))
			b.Store("sq", sq)
			ga := b.Add(b.Mul(b.C("Alpha"), b.Load("gavg")), b.Mul(b.C("OneMinusAlpha"), g))
			b.StoreIf(Centered, "gavg", ga)
			den := b.Let("den", b.Add(b.Sqrt(b.If(Centered, b.Sub(sq, b.Mul(ga, ga)), sq)), b.C("Eps")))
			buf := b.Add(b.Mul(b.C("Momentum"), b.Load("buf")), b.Div(g, den))
			b.StoreIf(Momentum, "buf", buf)
			b.Store("p", b.If(Momentum, b.Sub(p, b.Mul(b.C("LR"), buf)), b.Sub(p, b.Div(b.Mul(b.C("LR"), g), den))))
		},
	},
	{
		Name: "Axpy", Summary: "y += a·x", Ref: "axpyRef",
		Streams: []Stream{{Name: "y", Doc: "accumulator"}, {Name: "x", Doc: "addend"}},
		Slots:   []string{"A"}, Unroll: 4,
		Typical: []float64{0.5}, TypicalFlags: nil,
		Body: func(b *B) {
			b.Store("y", b.Add(b.Load("y"), b.Mul(b.Load("x"), b.C("A"))))
		},
	},
	{
		Name: "EMA", Summary: "exponential moving average of the parameters", Ref: "emaRef",
		Streams: []Stream{{Name: "avg", Doc: "average"}, {Name: "p", Doc: "parameters"}},
		Slots:   []string{"Weight"}, Unroll: 4,
		Typical: []float64{1e-3}, TypicalFlags: nil,
		Body: func(b *B) {
			avg := b.Load("avg")
			b.Store("avg", b.Add(avg, b.Mul(b.C("Weight"), b.Sub(b.Load("p"), avg))))
		},
	},
	{
		Name: "Scale", Summary: "x ·= a", Ref: "scaleRef",
		Streams: []Stream{{Name: "x", Doc: "vector"}},
		Slots:   []string{"A"}, Unroll: 4,
		Typical: []float64{1}, TypicalFlags: nil,
		Body: func(b *B) {
			b.Store("x", b.Mul(b.Load("x"), b.C("A")))
		},
	},
	{
		Name: "MuonMomentum", Summary: "Muon: momentum buffer and (Nesterov) update direction", Ref: "muonMomentumRef",
		Streams: []Stream{{Name: "buf", Doc: "momentum buffer"}, {Name: "g", Doc: "gradient"}, {Name: "u", Doc: "update direction (output)"}},
		Slots:   []string{"GradScale", "Momentum", "OneMinusMomentum"},
		Variant: []Flag{Nesterov, UnitScale}, Unroll: 2,
		Typical: []float64{1, 0.95, 0.05}, TypicalFlags: []Flag{Nesterov, UnitScale},
		Body: func(b *B) {
			g := b.Let("g", b.MulUnit(b.Load("g"), "GradScale"))
			b0 := b.Load("buf")
			buf := b.Let("buf", b.Add(b0, b.Mul(b.C("OneMinusMomentum"), b.Sub(g, b0))))
			b.Store("buf", buf)
			b.Store("u", b.If(Nesterov, b.Add(g, b.Mul(b.C("Momentum"), b.Sub(buf, g))), buf))
		},
	},
	{
		Name: "MuonUpdate", Summary: "Muon: decayed parameters minus the scaled orthogonalized update", Ref: "muonUpdateRef",
		Streams: []Stream{{Name: "p", Doc: "parameters"}, {Name: "o", Doc: "orthogonalized update"}},
		Slots:   []string{"Decay", "LR"}, Unroll: 4,
		Typical: []float64{1 - 1e-4, 1e-3}, TypicalFlags: nil,
		Body: func(b *B) {
			b.Store("p", b.Sub(b.Mul(b.Load("p"), b.C("Decay")), b.Mul(b.C("LR"), b.Load("o"))))
		},
	},
	{
		Name: "LAMB", Summary: "LAMB: Adam moments and the decayed Adam direction (before the trust ratio)", Ref: "lambRef",
		Streams: []Stream{{Name: "p", Doc: "parameters (read only)"}, {Name: "g", Doc: "gradient"}, {Name: "m", Doc: "first moment (exp_avg)"},
			{Name: "v", Doc: "second moment (exp_avg_sq)"}, {Name: "u", Doc: "update direction (output)"}},
		Slots:   []string{"GradScale", "OneMinusBeta1", "Beta2", "OneMinusBeta2", "InvBC1", "InvSqrtBC2", "Eps", "WeightDecay"},
		Variant: []Flag{L2}, Unroll: 1,
		Typical: []float64{1, 0.1, 0.999, 0.001, 1 / (1 - math.Pow(0.9, 10)), 1 / math.Sqrt(1-math.Pow(0.999, 10)), 1e-6, 0},
		Body: func(b *B) {
			g := b.Let("g", b.Mul(b.Load("g"), b.C("GradScale")))
			m0 := b.Load("m")
			m := b.Add(m0, b.Mul(b.C("OneMinusBeta1"), b.Sub(g, m0)))
			b.Store("m", m)
			v := b.Add(b.Mul(b.C("Beta2"), b.Load("v")), b.Mul(b.Mul(b.C("OneMinusBeta2"), g), g))
			b.Store("v", v)
			u := b.Let("u", b.Div(b.Mul(m, b.C("InvBC1")), b.Add(b.Mul(b.Sqrt(v), b.C("InvSqrtBC2")), b.C("Eps"))))
			b.Store("u", b.If(L2, b.Add(u, b.Mul(b.C("WeightDecay"), b.Load("p"))), u))
		},
	},
	{
		Name: "ScheduleFree", Summary: "Schedule-Free AdamW: y, z and the second moment in one pass", Ref: "scheduleFreeRef",
		Streams: []Stream{{Name: "y", Doc: "parameters: the gradient point y"}, {Name: "g", Doc: "gradient"}, {Name: "z", Doc: "base sequence z"},
			{Name: "v", Doc: "second moment (exp_avg_sq)"}},
		Slots:   []string{"GradScale", "Beta2", "OneMinusBeta2", "InvSqrtBC2", "Eps", "WeightDecay", "Ckp1", "YStep", "LR"},
		Variant: []Flag{L2, First}, Unroll: 1,
		Typical: []float64{1, 0.999, 0.001, 1 / math.Sqrt(1-math.Pow(0.999, 10)), 1e-8, 0, 0.1, 0.0025 * (0.9*0.9 - 1), 0.0025},
		Body: func(b *B) {
			y := b.Load("y")
			g := b.Let("g", b.Mul(b.Load("g"), b.C("GradScale")))
			z := b.Let("z", b.If(First, y, b.Load("z")))
			v := b.Add(b.Mul(b.C("Beta2"), b.Load("v")), b.Mul(b.Mul(b.C("OneMinusBeta2"), g), g))
			b.Store("v", v)
			u := b.Let("u", b.Div(g, b.Add(b.Mul(b.Sqrt(v), b.C("InvSqrtBC2")), b.C("Eps"))))
			u = b.Let("u", b.If(L2, b.Add(u, b.Mul(b.C("WeightDecay"), y)), u))
			yl := b.Add(y, b.Mul(b.C("Ckp1"), b.Sub(z, y)))
			b.Store("y", b.Add(yl, b.Mul(b.C("YStep"), u)))
			b.Store("z", b.Sub(z, b.Mul(b.C("LR"), u)))
		},
	},
}

// adam describes Adam (and AdamW, through its scalars) or, with ams,
// AMSGrad.
func adam(name string, ams bool) *Kernel {
	k := &Kernel{
		Name: name, Summary: "Adam and AdamW", Ref: "adamRef",
		Streams: []Stream{{Name: "p", Doc: "parameters"}, {Name: "g", Doc: "gradient"}, {Name: "m", Doc: "first moment (exp_avg)"}, {Name: "v", Doc: "second moment (exp_avg_sq)"}},
		Slots:   []string{"GradScale", "L2", "Decay", "OneMinusBeta1", "Beta2", "OneMinusBeta2", "InvSqrtBC2", "Eps", "StepSize"},
		Variant: []Flag{L2}, Unroll: 1,
		// Step 10 of torch.optim.Adam's defaults.
		Typical: []float64{1, 0, 1, 0.1, 0.999, 0.001, 1 / math.Sqrt(1-math.Pow(0.999, 10)), 1e-8, 1e-3 / (1 - math.Pow(0.9, 10))},
	}
	if ams {
		k.Summary, k.Ref = "AMSGrad: Adam with the running maximum of v", "amsgradRef"
		k.Streams = append(k.Streams, Stream{Name: "vmax", Doc: "running maximum of v (max_exp_avg_sq)"})
	}
	k.Body = func(b *B) {
		p := b.Load("p")
		g := b.Let("g", b.Mul(b.Load("g"), b.C("GradScale")))
		g = b.Let("g", b.If(L2, b.Add(g, b.Mul(b.C("L2"), p)), g))
		theta := b.Let("θ", b.Mul(p, b.C("Decay")))
		m0 := b.Load("m")
		m := b.Add(m0, b.Mul(b.C("OneMinusBeta1"), b.Sub(g, m0)))
		b.Store("m", m)
		v := b.Add(b.Mul(b.C("Beta2"), b.Load("v")), b.Mul(b.Mul(b.C("OneMinusBeta2"), g), g))
		b.Store("v", v)
		if ams {
			v = b.MaxNaN(b.Load("vmax"), v)
			b.Store("vmax", v)
		}
		den := b.Add(b.Mul(b.Sqrt(v), b.C("InvSqrtBC2")), b.C("Eps"))
		b.Store("p", b.Sub(theta, b.Mul(b.C("StepSize"), b.Div(m, den))))
	}
	return k
}

// Reduction is a hand-lowered kernel that returns a value; the catalog lists
// it beside the elementwise ones.
type Reduction struct {
	Name, Summary, Ref string
	Streams            []Stream
}

// Reductions lists the reductions, in catalog order after Kernels.
var Reductions = []Reduction{
	{Name: "SumSquares", Summary: "Σx² in float64 and whether every x is finite", Ref: "sumSquaresRef", Streams: []Stream{{Name: "x", Doc: "vector"}}},
	{Name: "Dot", Summary: "Σx·y in the element type", Ref: "dotRef", Streams: []Stream{{Name: "x", Doc: "vector"}, {Name: "y", Doc: "vector"}}},
}
