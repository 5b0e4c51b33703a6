package kernels

import (
	"fmt"
	"math"

	"github.com/descent-go/descent/kernels/internal/asm"
)

// NS5A, NS5B and NS5C are the coefficients (a, b, c) of the quintic
// Newton–Schulz iteration of Muon (Keller Jordan's and torch.optim.Muon's):
// X ← a·X + (b·A + c·A·A)·X with A = X·Xᵀ.
const (
	NS5A = 3.4445
	NS5B = -4.7750
	NS5C = 2.0315
)

// Muon holds the hyper-parameters of Muon (Jordan et al. 2024) with
// torch.optim.Muon's meaning, plus those of the AdamW update that a group
// with AdamW set runs instead (the parameters Muon is not for: biases,
// gains, embeddings and the output layer), as Muon is used in practice.
// The zero value is not valid; start from DefaultMuon.
type Muon struct {
	LR          float64 // learning rate, ≥ 0
	WeightDecay float64 // decoupled decay λ ≥ 0: θ ← θ·(1 − lr·λ)
	Momentum    float64 // μ in [0, 1)
	Nesterov    bool    // the update is g + μ·(buf − g) instead of buf
	NSSteps     float64 // Newton–Schulz iterations, an integer in [0, 99]
	Eps         float64 // > 0: the update is divided by max(‖update‖_F, Eps) before the iterations
	// MatchRMSAdamW scales the learning rate by 0.2·sqrt(max(rows, cols))
	// (adjust_lr_fn "match_rms_adamw"); otherwise by sqrt(max(1, rows/cols))
	// ("original", torch's default).
	MatchRMSAdamW bool

	// AdamW makes the group an AdamW group: its parameters are updated by
	// AdamW with LR, WeightDecay, Beta1, Beta2 and AdamEps.
	AdamW   bool
	Beta1   float64 // AdamW's β1 in [0, 1)
	Beta2   float64 // AdamW's β2 in [0, 1)
	AdamEps float64 // AdamW's ε > 0
}

// DefaultMuon returns torch.optim.Muon's defaults (lr 1e-3, weight decay
// 0.1, momentum 0.95, Nesterov, 5 Newton–Schulz steps, eps 1e-7, adjust_lr
// "original") and torch.optim.AdamW's betas and ε for AdamW groups.
func DefaultMuon() Muon {
	return Muon{LR: 1e-3, WeightDecay: 0.1, Momentum: 0.95, Nesterov: true, NSSteps: 5, Eps: 1e-7,
		Beta1: 0.9, Beta2: 0.999, AdamEps: 1e-8}
}

// Validate reports the first hyper-parameter outside its range.
func (h Muon) Validate() error {
	switch {
	case !(h.LR >= 0) || math.IsInf(h.LR, 1):
		return fmt.Errorf("kernels: Muon: learning rate %v must be finite and ≥ 0", h.LR)
	case !(h.WeightDecay >= 0) || math.IsInf(h.WeightDecay, 1):
		return fmt.Errorf("kernels: Muon: weight decay %v must be finite and ≥ 0", h.WeightDecay)
	case !(h.Momentum >= 0 && h.Momentum < 1):
		return fmt.Errorf("kernels: Muon: momentum %v must be in [0, 1)", h.Momentum)
	case !(h.NSSteps >= 0 && h.NSSteps <= 99) || h.NSSteps != math.Trunc(h.NSSteps):
		return fmt.Errorf("kernels: Muon: ns_steps %v must be an integer in [0, 99]", h.NSSteps)
	case !(h.Eps > 0) || math.IsInf(h.Eps, 1):
		return fmt.Errorf("kernels: Muon: eps %v must be finite and > 0", h.Eps)
	case !(h.Beta1 >= 0 && h.Beta1 < 1):
		return fmt.Errorf("kernels: Muon: beta1 %v must be in [0, 1)", h.Beta1)
	case !(h.Beta2 >= 0 && h.Beta2 < 1):
		return fmt.Errorf("kernels: Muon: beta2 %v must be in [0, 1)", h.Beta2)
	case !(h.AdamEps > 0) || math.IsInf(h.AdamEps, 1):
		return fmt.Errorf("kernels: Muon: adam_eps %v must be finite and > 0", h.AdamEps)
	}
	return nil
}

// AdamWHyper returns the AdamW hyper-parameters of an AdamW group.
func (h Muon) AdamWHyper() Adam {
	return Adam{LR: h.LR, Beta1: h.Beta1, Beta2: h.Beta2, Eps: h.AdamEps, WeightDecay: h.WeightDecay, Decoupled: true}
}

// MuonScalars are the scalars of one Muon step, computed once in float64.
type MuonScalars struct {
	GradScale        float64 // g ← grad·GradScale
	Momentum         float64 // μ
	OneMinusMomentum float64 // 1 − μ
	Nesterov         bool
	Decay            float64 // 1 − lr·λ
	LR               float64 // lr, before the shape's adjustment (AdjustedLR)
	MatchRMSAdamW    bool
	NSSteps          int
	Eps              float64

	Adam AdamScalars // the step's AdamW scalars, for an AdamW group
}

// Scalars returns the scalars of step t (t ≥ 1) for a gradient multiplied
// by gradScale.
func (h Muon) Scalars(t int, gradScale float64) MuonScalars {
	return MuonScalars{
		GradScale: gradScale, Momentum: h.Momentum, OneMinusMomentum: 1 - h.Momentum, Nesterov: h.Nesterov,
		Decay: 1 - float64(h.LR*h.WeightDecay), LR: h.LR, MatchRMSAdamW: h.MatchRMSAdamW,
		NSSteps: int(h.NSSteps), Eps: h.Eps,
		Adam: h.AdamWHyper().Scalars(t, gradScale),
	}
}

// AdjustedLR returns the learning rate of a rows×cols matrix:
// lr·sqrt(max(1, rows/cols)) ("original"), or lr·0.2·sqrt(max(rows, cols))
// with MatchRMSAdamW.
func (s *MuonScalars) AdjustedLR(rows, cols int) float64 {
	if s.MatchRMSAdamW {
		return s.LR * float64(0.2*math.Sqrt(float64(max(rows, cols))))
	}
	return s.LR * math.Sqrt(max(1, float64(rows)/float64(cols)))
}

// MuonMomentumStep updates Muon's momentum buffer and writes the update
// direction u (the matrix Newton–Schulz orthogonalizes):
//
//	for i := range buf {
//		g := g[i]·GradScale
//		buf[i] = buf[i] + OneMinusMomentum·(g − buf[i])   // torch's buf.lerp_(g, 1−μ)
//		u[i] = Nesterov ? g + Momentum·(buf[i] − g) : buf[i]  // g.lerp(buf, μ)
//	}
//
// with s's scalars rounded once to T and every operation rounded to T.
// The buffer starts at zero (torch's zeros_like). It panics if the lengths
// differ.
func MuonMomentumStep[T Float](buf, g, u []T, s *MuonScalars) {
	checkLens[T]("MuonMomentumStep", "buf, g, u", len(buf), len(g), len(u))
	var c [asm.MuonMomentumN]T
	c[asm.MuonMomentumGradScale], c[asm.MuonMomentumMomentum] = T(s.GradScale), T(s.Momentum)
	c[asm.MuonMomentumOneMinusMomentum] = T(s.OneMinusMomentum)
	table[T]().MuonMomentum(buf, g, u, c, sgdFlags(0, c[asm.MuonMomentumGradScale], s.Nesterov, false))
}

// MuonUpdateStep applies Muon's orthogonalized update o to p:
//
//	for i := range p {
//		p[i] = p[i]·Decay − lr·o[i]
//	}
//
// with lr = s.AdjustedLR(rows, cols) and Decay rounded once to T (torch's
// p.mul_(1 − lr·λ); p.add_(o, alpha=−adjusted_lr)). It panics if the
// lengths differ.
func MuonUpdateStep[T Float](p, o []T, s *MuonScalars, rows, cols int) {
	checkLens[T]("MuonUpdateStep", "p, o", len(p), len(o))
	var c [asm.MuonUpdateN]T
	c[asm.MuonUpdateDecay], c[asm.MuonUpdateLR] = T(s.Decay), T(s.AdjustedLR(rows, cols))
	table[T]().MuonUpdate(p, o, c, 0)
}

func init() {
	ref32.MuonMomentum, ref64.MuonMomentum = muonMomentumRef[float32], muonMomentumRef[float64]
	ref32.MuonUpdate, ref64.MuonUpdate = muonUpdateRef[float32], muonUpdateRef[float64]
}

// muonMomentumRef: for each i
//
//	g := grad[i]·c[GradScale]
//	buf[i] = buf[i] + c[OneMinusMomentum]·(g − buf[i])
//	u[i] = flags&FlagNesterov != 0 ? g + c[Momentum]·(buf[i] − g) : buf[i]
func muonMomentumRef[T Float](buf, grad, u []T, c [asm.MuonMomentumN]T, flags uint64) {
	nesterov := flags&asm.FlagNesterov != 0
	grad, u = grad[:len(buf)], u[:len(buf)]
	for i := range buf {
		g := T(grad[i] * c[asm.MuonMomentumGradScale])
		b := buf[i] + T(c[asm.MuonMomentumOneMinusMomentum]*(g-buf[i]))
		buf[i] = b
		if nesterov {
			u[i] = g + T(c[asm.MuonMomentumMomentum]*(b-g))
		} else {
			u[i] = b
		}
	}
}

// muonUpdateRef: p[i] = p[i]·c[Decay] − c[LR]·o[i].
func muonUpdateRef[T Float](p, o []T, c [asm.MuonUpdateN]T, _ uint64) {
	o = o[:len(p)]
	for i := range p {
		p[i] = T(p[i]*c[asm.MuonUpdateDecay]) - T(c[asm.MuonUpdateLR]*o[i])
	}
}
