package fuzz

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/descent-go/descent/blas"
	"github.com/descent-go/descent/linear"
)

// Targets for package linear's models. Arguments:
//
//	data    θ (NumParams values), then the m labels, then X (m×n, row-major),
//	        each element decoded by value, the labels of logistic and
//	        softmax models by linLabel (valid, soft, invalid or any value);
//	        past the end of the bytes, moderate pseudo-random values and
//	        valid labels
//	shape   bits 0–1 model (least squares, ridge, logistic, softmax);
//	        2–4 classes k = 2 + v mod 5 (softmax); 5 intercept;
//	        6–11 rows m = 1 + v (1…64); 12–15 features n = 1 + v mod 12;
//	        16–20 the small block size 2 + v (2…33);
//	        21–23 a derived bad call whose documented panic is checked
//	        (0 and 7: none); 24 logistic/softmax also get the penalty λ;
//	        25–27 element offset of every slice in its guarded buffer
//	lambda  the penalty λ (Options.L2) of ridge, and of logistic/softmax
//	        with bit 24; an invalid one (NaN, < 0, +Inf) must make the
//	        constructor panic, and the model is then built with λ = 0
//
// Every input is run with every backend in blas.Available() and every
// block size in {1, the small one, 0 (the default), linear.NoBlocking}, as
// Loss and as LossGrad. The properties, each exactly true (linearCase
// and linTolerance state the conditions and the bounds):
//
//  1. Nothing panics for valid shapes; the documented panics (wrong-length
//     θ, grad or X, an invalid λ) happen, with a message naming the
//     function and the lengths. Loss and LossGrad leave θ, X and y
//     unchanged and write nothing outside grad.
//  2. Check(X, y) returns an error exactly when some X or y value is NaN
//     or ±Inf or a label is invalid for the model; errors.Is(err,
//     linear.ErrNonFinite) / errors.Is(err, linear.ErrLabel) tell which,
//     and the message names the offending index. NaN/±Inf in X or y, NaN/±Inf
//     in θ (least squares, logistic; see below) and invalid softmax labels
//     make the loss NaN or ±Inf, as linear's doc says.
//  3. With valid data the loss is never < 0 (it is ≥ 0 or NaN); with
//     finite θ and moderate magnitudes (|x|, |θ|, λ and, for least
//     squares, |y| at most linModerate) the loss and every gradient entry
//     are finite.
//  4. With valid data, finite θ and magnitudes whose intermediate results
//     fit in the element type, every backend and block size agrees with a
//     naive float64 reference (linReference) within linTolerance: the
//     documented 2·(m+n)·ε·(1/m)·Σᵢ|xᵢⱼ·rᵢ| plus the documented error of the
//     elementwise functions and the error of the logits propagated
//     through the residual (see below); Loss() and LossGrad's loss agree
//     with the reference, and so with each other, within a bound derived
//     the same way (the doc promises no bit-for-bit equality of the two).
//
// linear's doc once stated a bound that scaled with |rᵢ| only, leaving out
// the rounding of the logits zᵢ = xᵢ·θ + b (about n·ε·Σⱼ|xᵢⱼθⱼ|) as it moves
// the residual r = ∂loss/∂z (by that much for least squares when zᵢ ≈ yᵢ, by
// σ'(zᵢ) times it for logistic regression), and said NaN or ±Inf in θ make
// the loss non-finite, which does not hold for softmax (a −Inf weight or
// bias of a class that is never the label gives a finite loss; gonum's Dgemm
// skips zero entries of X, so a NaN weight facing a zero column of X is not
// seen). These targets found both; the doc now states the bound with the
// logits' term and the softmax exception, and the corpus keeps the inputs
// that showed them (seed-linear-docbound-*, seed-linear-doctheta-*).

func FuzzLinearF32(f *testing.F) { fuzzLinear[float32](f) }
func FuzzLinearF64(f *testing.F) { fuzzLinear[float64](f) }

const (
	linLS = iota
	linRidge
	linLogistic
	linSoftmax
)

var linNames = [...]string{"least-squares", "ridge", "logistic", "softmax"}

// linModerate is the magnitude bound of property 3: with |x|, |θ|, λ (and
// |y| for least squares) at most this, |zᵢ| ≤ 13·1e6 (float64) or 13·1e4
// (float32), so residuals, losses (at most z² for least squares, 2|z| +
// λ‖W‖² for the cross-entropies) and gradients are far below the largest
// finite value.
func linModerate[T float]() float64 {
	if is32[T]() {
		return 1e2
	}
	return 1e3
}

type linInput[T float] struct {
	kind        int
	obj         linear.Objective
	m, n, k     int
	intercept   bool
	l2          float64 // λ as the model has it (0 after an invalid λ)
	usesL2      bool
	lambda      float64 // λ as decoded
	small       int
	bad         int
	off         int
	theta, x, y []T
}

func (c *linInput[T]) String() string {
	return fmt.Sprintf("%s m=%d n=%d k=%d intercept=%t λ=%v", linNames[c.kind], c.m, c.n, c.k, c.intercept, c.l2)
}

func (c *linInput[T]) numParams() int {
	if c.intercept {
		return (c.n + 1) * c.k
	}
	return c.n * c.k
}

// model builds c's model with the options (L2 set from c).
func (c *linInput[T]) model(opt linear.Options, l2 float64) *linear.Model[T] {
	opt.Intercept = c.intercept
	switch c.kind {
	case linLS:
		return linear.NewLeastSquares[T](c.n, opt)
	case linRidge:
		return linear.NewRidge[T](c.n, l2, opt)
	case linLogistic:
		if c.usesL2 {
			opt.L2 = l2
		}
		return linear.NewLogistic[T](c.n, opt)
	}
	if c.usesL2 {
		opt.L2 = l2
	}
	return linear.NewSoftmax[T](c.n, c.k, opt)
}

var linConstructors = [...]string{"NewLeastSquares", "NewRidge", "NewLogistic", "NewSoftmax"}

// linLabel decodes a label of a logistic or softmax model. A class byte b
// picks the kind (b mod 8): 0–4 a valid label, (b>>3) mod 2 or mod k;
// 5 a soft label (b>>3)/31 in [0, 1] (valid for logistic, for softmax
// only when 0 or 1); 6 one of linOddLabels; 7 any value (see value).
func linLabel[T float](d *decoder, kind, k int) T {
	classes := k
	if kind == linLogistic {
		classes = 2
	}
	if !d.more() {
		return T(d.random().IntN(classes))
	}
	b := d.byte()
	switch b % 8 {
	case 5:
		return T(float64(b>>3) / 31)
	case 6:
		odd := linOddLabels(k)
		return T(odd[int(b>>3)%len(odd)])
	case 7:
		return value[T](d, false)
	}
	return T(int(b>>3) % classes)
}

// linOddLabels are labels at and past the edges of the valid ones.
func linOddLabels(k int) []float64 {
	return []float64{2, -1, float64(k), 0.5, math.Copysign(0, -1), 1 + 0x1p-20, -0x1p-20,
		float64(k) - 0.5, 1e30, float64(k - 1), 3, 0x1p-149}
}

func decodeLinear[T float](data []byte, shape uint32, lambda float64) *linInput[T] {
	c := &linInput[T]{
		kind:      int(shape & 3),
		k:         1,
		intercept: shape>>5&1 != 0,
		m:         1 + int(shape>>6&63),
		n:         1 + int(shape>>12&15)%12,
		small:     2 + int(shape>>16&31),
		bad:       int(shape >> 21 & 7),
		off:       int(shape >> 25 & 7),
		lambda:    lambda,
	}
	c.obj = [...]linear.Objective{linear.SquaredError, linear.SquaredError, linear.BinaryCrossEntropy, linear.CrossEntropy}[c.kind]
	if c.kind == linSoftmax {
		c.k = 2 + int(shape>>2&7)%5
	}
	c.usesL2 = c.kind == linRidge || (c.kind >= linLogistic && shape>>24&1 != 0)
	if c.usesL2 {
		c.l2 = lambda
	}
	d := newDecoder(data, c.m<<8|c.n<<4|c.k)
	c.theta = values[T](d, c.numParams(), false)
	c.y = make([]T, c.m)
	for i := range c.y {
		if c.kind < linLogistic {
			c.y[i] = value[T](d, false)
		} else {
			c.y[i] = linLabel[T](d, c.kind, c.k)
		}
	}
	c.x = values[T](d, c.m*c.n, false)
	return c
}

// linLabelOK is the truth for Check's label test, computed from linear's
// doc: any finite value for least squares, [0, 1] for logistic (soft labels
// are valid), an integer in [0, k) for softmax (−0 included).
func linLabelOK(kind, k int, y float64) bool {
	switch kind {
	case linLogistic:
		return y >= 0 && y <= 1
	case linSoftmax:
		return y == math.Trunc(y) && y >= 0 && y < float64(k)
	}
	return true
}

// mustPanic runs f and fails unless it panics with a string containing
// every one of want.
func mustPanic(t *testing.T, what string, want []string, f func()) {
	t.Helper()
	msg := func() (msg any) {
		defer func() { msg = recover() }()
		f()
		return nil
	}()
	s, ok := msg.(string)
	if !ok {
		t.Fatalf("%s: panicked with %#v, want a message containing %q", what, msg, want)
	}
	for _, w := range want {
		if !strings.Contains(s, w) {
			t.Fatalf("%s: panic message %q does not contain %q", what, s, w)
		}
	}
}

func fuzzLinear[T float](f *testing.F) {
	f.Fuzz(linearCase[T])
}

// linearCase checks one input (the body of the targets).
func linearCase[T float](t *testing.T, data []byte, shape uint32, lambda float64) {
	c := decodeLinear[T](data, shape, lambda)

	// Property 1: an invalid λ panics in the constructor, naming it.
	if c.usesL2 && (!(lambda >= 0) || math.IsInf(lambda, 1)) {
		mustPanic(t, "constructor with L2 = "+fmt.Sprint(lambda),
			[]string{"linear: " + linConstructors[c.kind] + ":", fmt.Sprintf("L2 = %v", lambda)},
			func() { c.model(linear.Options{}, lambda) })
		c.l2 = 0
	}
	md := c.model(linear.Options{}, c.l2)
	if md.NumParams() != c.numParams() || md.Features() != c.n || md.Outputs() != c.k {
		t.Fatalf("%v: NumParams %d, Features %d, Outputs %d", c, md.NumParams(), md.Features(), md.Outputs())
	}
	linBadCall(t, c, md)

	// Property 2: Check against the truth computed here.
	linCheckCheck(t, c, md)
	validData := md.Check(c.x, c.y) == nil

	ref := linReference(c)
	var tol linTol
	refOK := false
	if validData && allFinite(c.theta) {
		tol, refOK = linTolerance(c, &ref)
	}
	moderate := validData && maxAbs(c.theta) <= linModerate[T]() && maxAbs(c.x) <= linModerate[T]() &&
		c.l2 <= linModerate[T]() && (c.kind > linRidge || maxAbs(c.y) <= linModerate[T]())
	if moderate && !refOK {
		t.Fatalf("%v: moderate input but the reference's magnitudes (loss %v) are out of range", c, ref.loss)
	}
	// NaN/±Inf in θ make the loss non-finite for least squares and
	// logistic regression; softmax may absorb them (see linear's doc).
	nonFinite := !allFinite(c.x, c.y) || (!allFinite(c.theta) && c.kind != linSoftmax)
	if c.kind == linSoftmax {
		for _, y := range c.y {
			nonFinite = nonFinite || !linLabelOK(c.kind, c.k, float64(y))
		}
	}

	for _, impl := range blas.Available() {
		for _, br := range []int{1, c.small, 0, linear.NoBlocking} {
			opt := linear.Options{BLAS: impl, BlockRows: br}
			md := c.model(opt, c.l2)
			name := fmt.Sprintf("%v blas=%s BlockRows=%d", c, impl, md.BlockRows())
			loss, lossG, grad := linRun(t, c, md, name)

			for _, l := range []T{loss, lossG} {
				// Property 2: non-finite data give a non-finite loss.
				if nonFinite && finite(float64(l)) {
					t.Fatalf("%s: loss %v (Loss %v, LossGrad %v) is finite, but X, y or θ hold NaN/±Inf or a softmax label is invalid (X %v, y %v, θ %v)",
						name, l, loss, lossG, c.x, c.y, c.theta)
				}
				// Property 3: valid labels never give a negative loss: every
				// row's term is ≥ 0 (r²/2; softplus(z) − y·z ≥ max(z,0) − y·z ≥ 0
				// for y in [0,1], also rounded; lse(z) ≥ max z ≥ z_y, also
				// rounded), so is the penalty, and rounding is monotone.
				if validData && l < 0 {
					t.Fatalf("%s: loss %v < 0 with valid data", name, l)
				}
			}
			if moderate {
				if !finite(float64(loss)) || !finite(float64(lossG)) || !allFinite(grad) {
					t.Fatalf("%s: moderate input (|x|, |θ|, λ ≤ %v) but loss %v / %v or gradient %v not finite",
						name, linModerate[T](), loss, lossG, grad)
				}
			}
			if refOK {
				linCompare(t, c, &ref, &tol, name, loss, lossG, grad)
			}
		}
	}
}

func linHasNaN[T float](x []T) bool {
	for _, v := range x {
		if v != v {
			return true
		}
	}
	return false
}

// linRun calls Loss and LossGrad on copies of c's slices in guarded
// buffers and checks that θ, X and y are unchanged and nothing outside grad
// is written (property 1).
func linRun[T float](t *testing.T, c *linInput[T], md *linear.Model[T], name string) (loss, lossG T, grad []T) {
	t.Helper()
	th := newGuarded(c.theta, c.off)
	x := newGuarded(c.x, (c.off+3)&15)
	y := newGuarded(c.y, (c.off+5)&15)
	g := newGuarded(make([]T, c.numParams()), (c.off+7)&15)
	for i := range g.buf[g.lo:g.hi] {
		g.buf[g.lo+i] = sentinel[T]() // LossGrad must overwrite every entry
	}
	loss = md.Loss(th.slice(), x.slice(), y.slice())
	lossG = md.LossGrad(th.slice(), x.slice(), y.slice(), g.slice())
	for j, s := range []guarded[T]{th, x, y, g} {
		s.check(t, name, "LossGrad", j)
	}
	for j, p := range [][2][]T{{c.theta, th.slice()}, {c.x, x.slice()}, {c.y, y.slice()}} {
		for i := range p[0] {
			if bitsOf(p[0][i]) != bitsOf(p[1][i]) {
				t.Fatalf("%s: input %d (θ, X, y) element %d changed from %v to %v", name, j, i, p[0][i], p[1][i])
			}
		}
	}
	grad = g.slice()
	s := bitsOf(sentinel[T]())
	for i, v := range grad {
		if bitsOf(v) == s {
			t.Fatalf("%s: LossGrad did not write grad[%d]", name, i)
		}
	}
	return loss, lossG, grad
}

// linBadCall makes the derived bad call that c.bad selects and checks that
// it panics with the documented message (property 1).
func linBadCall[T float](t *testing.T, c *linInput[T], md *linear.Model[T]) {
	p := c.numParams()
	th, x, y, g := c.theta, c.x, c.y, make([]T, p)
	grow := func(s []T) []T { return append(append([]T(nil), s...), 0) }
	switch c.bad {
	case 1:
		mustPanic(t, "LossGrad with a long θ", []string{"linear: LossGrad:", fmt.Sprintf("len(theta) = %d, want %d", p+1, p)},
			func() { md.LossGrad(grow(th), x, y, g) })
	case 2:
		mustPanic(t, "Loss with a short θ", []string{"linear: Loss:", fmt.Sprintf("len(theta) = %d, want %d", p-1, p)},
			func() { md.Loss(th[:p-1], x, y) })
	case 3:
		mustPanic(t, "LossGrad with a long grad", []string{"linear: LossGrad:", fmt.Sprintf("len(grad) = %d, want %d", p+1, p)},
			func() { md.LossGrad(th, x, y, grow(g)) })
	case 4:
		mustPanic(t, "LossGrad with a short grad", []string{"linear: LossGrad:", fmt.Sprintf("len(grad) = %d, want %d", p-1, p)},
			func() { md.LossGrad(th, x, y, g[:p-1]) })
	case 5:
		mustPanic(t, "LossGrad with a short X", []string{"linear: LossGrad:", fmt.Sprintf("len(X) = %d", len(x)-1)},
			func() { md.LossGrad(th, x[:len(x)-1], y, g) })
	case 6:
		mustPanic(t, "Check with a long X", []string{"linear: Check:", fmt.Sprintf("len(X) = %d", len(x)+1)},
			func() { _ = md.Check(grow(x), y) })
	}
}

// linCheckCheck checks Check against the truth (property 2): an error
// exactly when some X or y value is NaN or ±Inf or a label is invalid. If
// X holds a non-finite value, the error wraps ErrNonFinite and names the
// first one ("X[i]"); otherwise it names the first bad y ("y[i]"), wrapping
// ErrNonFinite if that y is NaN or ±Inf and ErrLabel if it is a finite
// invalid label. Never both.
func linCheckCheck[T float](t *testing.T, c *linInput[T], md *linear.Model[T]) {
	err := md.Check(c.x, c.y)
	badX, badY := -1, -1
	for i, v := range c.x {
		if !finite(float64(v)) {
			badX = i
			break
		}
	}
	for i, v := range c.y {
		if !finite(float64(v)) || !linLabelOK(c.kind, c.k, float64(v)) {
			badY = i
			break
		}
	}
	if badX < 0 && badY < 0 {
		if err != nil {
			t.Fatalf("%v: Check = %v for valid data (y %v)", c, err, c.y)
		}
		return
	}
	if err == nil {
		t.Fatalf("%v: Check = nil, but X[%d] / y[%d] is bad (X %v, y %v)", c, badX, badY, c.x, c.y)
	}
	nf, lab := errors.Is(err, linear.ErrNonFinite), errors.Is(err, linear.ErrLabel)
	var wantNF bool
	var where string
	if badX >= 0 {
		wantNF, where = true, fmt.Sprintf("X[%d]", badX)
	} else {
		wantNF, where = !finite(float64(c.y[badY])), fmt.Sprintf("y[%d]", badY)
	}
	if nf != wantNF || lab == wantNF || !strings.Contains(err.Error(), where) {
		t.Fatalf("%v: Check = %q (ErrNonFinite %t, ErrLabel %t), want one naming %s wrapping only %s",
			c, err, nf, lab, where, map[bool]string{true: "ErrNonFinite", false: "ErrLabel"}[wantNF])
	}
}

// linRef is the float64 reference: logits z (m×k), residuals r = ∂ℓᵢ/∂zᵢ,
// per-row losses ℓ, the loss and the gradient, by naive loops.
type linRef struct {
	z, r, ell []float64
	mx, lnS   []float64 // softmax: max zᵢ and log Σ e^{zᵢₖ − max zᵢ} of each row
	sp        []float64 // logistic: softplus(zᵢ)
	loss      float64
	grad      []float64
	ww        float64 // Σ W²
}

func linReference[T float](c *linInput[T]) linRef {
	m, n, k := c.m, c.n, c.k
	w := c.theta[:n*k]
	ref := linRef{z: make([]float64, m*k), r: make([]float64, m*k), ell: make([]float64, m),
		mx: make([]float64, m), lnS: make([]float64, m), sp: make([]float64, m), grad: make([]float64, c.numParams())}
	for i := 0; i < m; i++ {
		for o := 0; o < k; o++ {
			s := 0.0
			for j := 0; j < n; j++ {
				s += float64(c.x[i*n+j]) * float64(w[j*k+o])
			}
			if c.intercept {
				s += float64(c.theta[n*k+o])
			}
			ref.z[i*k+o] = s
		}
		y := float64(c.y[i])
		switch c.kind {
		case linLS, linRidge:
			r := ref.z[i] - y
			ref.r[i], ref.ell[i] = r, r*r/2
		case linLogistic:
			z := ref.z[i]
			var sg, sp float64
			if z >= 0 {
				e := math.Exp(-z)
				sg, sp = 1/(1+e), z+math.Log1p(e)
			} else {
				e := math.Exp(z)
				sg, sp = e/(1+e), math.Log1p(e)
			}
			ref.sp[i], ref.ell[i], ref.r[i] = sp, sp-y*z, sg-y
		case linSoftmax:
			row := ref.z[i*k : (i+1)*k]
			mx := math.Inf(-1)
			for _, v := range row {
				mx = max(mx, v)
			}
			s := 0.0
			for _, v := range row {
				s += math.Exp(v - mx)
			}
			lnS := math.Log(s)
			ref.mx[i], ref.lnS[i] = mx, lnS
			ref.ell[i] = math.NaN() // an invalid label: the reference is not used
			if linLabelOK(c.kind, k, y) {
				ref.ell[i] = mx + lnS - row[int(y)]
			}
			for o, v := range row {
				p := math.Exp((v - mx) - lnS)
				if float64(o) == y {
					p--
				}
				ref.r[i*k+o] = p
			}
		}
	}
	sum := 0.0
	for _, l := range ref.ell {
		sum += l
	}
	for j := 0; j < n; j++ {
		for o := 0; o < k; o++ {
			s := 0.0
			for i := 0; i < m; i++ {
				s += float64(c.x[i*n+j]) * ref.r[i*k+o]
			}
			ref.grad[j*k+o] = s/float64(m) + c.l2*float64(w[j*k+o])
		}
	}
	if c.intercept {
		for o := 0; o < k; o++ {
			s := 0.0
			for i := 0; i < m; i++ {
				s += ref.r[i*k+o]
			}
			ref.grad[n*k+o] = s / float64(m)
		}
	}
	for _, v := range w {
		ref.ww += float64(v) * float64(v)
	}
	ref.loss = sum/float64(m) + c.l2/2*ref.ww
	return ref
}

// gamma is Higham's γₚ = p·u/(1 − p·u): the relative error bound of p
// roundings in a row.
func gamma(p int, u float64) float64 { return float64(p) * u / (1 - float64(p)*u) }

// linTol holds the tolerances of one input: per gradient entry, and the loss.
type linTol struct {
	grad    []float64
	doc     []float64 // the documented term 2·(m+n)·ε·(1/m)·Σᵢ|xᵢⱼ·rᵢ| alone, for messages
	loss    float64
	sumAbsR []float64 // (1/m)Σᵢ|xᵢⱼ·rᵢ|
}

// linTolerance returns the bounds of property 4, and false where they do
// not apply: some reference value, or some intermediate result of the
// library, could exceed the element type's range (everything must stay
// below maxFinite/1024, which leaves room for the roundings between the
// bound and the computed value).
//
// With ε the unit round-off of T (2⁻²⁴ or 2⁻⁵³), ε₆₄ = 2⁻⁵³, η the smallest
// subnormal of T (absolute error of a product that underflows), and Sᵢ =
// Σⱼ|xᵢⱼθⱼ| + |b| for each row (and output):
//
//   - the library's logits and the reference's differ by at most
//     δzᵢ = (γₙ₊₁(ε) + γₙ₊₁(ε₆₄))·Sᵢ + (n+2)·η (a dot product of n terms
//     plus the bias, in any order, with or without FMA);
//   - the residuals then differ by at most Fᵢ + aᵢ: Fᵢ the change of r over
//     [zᵢ − δzᵢ, zᵢ + δzᵢ] (δzᵢ for least squares; σ'(max(0,|zᵢ|−δzᵢ))·δzᵢ
//     for logistic; min(p, 1−p)·(e^{2Δᵢ}−1) for softmax, Δᵢ = maxₖ δzᵢₖ,
//     since each softmax output and its complement move by at most a
//     factor e^{±2Δ}); aᵢ the residual's own error, twice (library and
//     reference): the elementwise functions' documented bounds
//     (linear/elem: 3 ulp of float64 for the sigmoid, (k+4+2|zₖ−max z|)·ε₆₄
//     relative for softmax, plus the rounding to float32, 1 ulp), the
//     subtraction of the label (ε₆₄ and ε relative) and underflow (η);
//   - the gradient entry (j, o) then differs by at most
//     2·(m+n)·ε·Gⱼ (documented, Gⱼ = (1/m)Σᵢ|xᵢⱼ·rᵢ|, x = 1 for a bias)
//   - (1/m)Σᵢ|xᵢⱼ|·aᵢ (the elementwise slack)
//   - (1/m)Σᵢ|xᵢⱼ|·Fᵢ (the logits' error)
//   - γₘ₊₅(ε)·(Gⱼ + (1/m)Σᵢ|xᵢⱼ|·(aᵢ+Fᵢ)) + γₘ₊₃(ε₆₄)·Gⱼ (a sum of m
//     products in any blocking, the scale T(1/m), the final add; the
//     reference's own sum: the doc's "about" 2(m+n)ε has too few roundings
//     for tiny shapes)
//   - (γ₃(ε) + γ₃(ε₆₄))·λ|wⱼ| (T(λ), its product and add)
//   - (2m+6)·η (underflow of the products).
//
// The result is multiplied by 1 + 2⁻³⁰ for the float64
// rounding of the bound's own evaluation.
//
// The loss bound is derived the same way (linear documents none): per row,
// the change of ℓ over the logits' interval (|r| + Fᵢ)·δzᵢ (the gradient of
// ℓ in z is r), the documented error of softplus (3 ulp) or log-sum-exp
// ((k+3)·ε₆₄·max(1,|lse|), plus 1 ulp of float32 for float32 models, since
// the library rounds it to T), twice; the float64 sums over rows and of
// ‖W‖²; the final rounding to T.
func linTolerance[T float](c *linInput[T], ref *linRef) (linTol, bool) {
	m, n, k := c.m, c.n, c.k
	mf := float64(m)
	eps, eta := 0x1p-53, 0x1p-1074
	if is32[T]() {
		eps, eta = 0x1p-24, 0x1p-149
	}
	const eps64, eta64 = 0x1p-53, 0x1p-1074
	lim := maxFinite[T]() / 1024
	elemT := 0.0 // the float32 rounding of the elementwise results: 1 ulp ≤ 2ε relative
	if is32[T]() {
		elemT = 2 * eps
	}
	w := c.theta[:n*k]
	if !(c.l2 <= lim) || !(math.Abs(ref.loss) <= lim) || !(c.l2/2*ref.ww <= lim) {
		return linTol{}, false
	}

	dz := make([]float64, m*k) // δz
	F := make([]float64, m*k)  // change of r from the logits' error
	a := make([]float64, m*k)  // the residual's own error, library and reference
	lrow := 0.0                // Σ per-row loss bounds
	absEll := 0.0
	for i := 0; i < m; i++ {
		dmax := 0.0
		for o := 0; o < k; o++ {
			s := 0.0
			for j := 0; j < n; j++ {
				s += math.Abs(float64(c.x[i*n+j]) * float64(w[j*k+o]))
			}
			if c.intercept {
				s += math.Abs(float64(c.theta[n*k+o]))
			}
			if !(s <= lim) {
				return linTol{}, false
			}
			dz[i*k+o] = (gamma(n+1, eps)+gamma(n+1, eps64))*s + float64(n+2)*eta
			dmax = max(dmax, dz[i*k+o])
		}
		y := float64(c.y[i])
		z, r := ref.z[i*k], ref.r[i*k]
		if !(math.Abs(y) <= lim) || !(math.Abs(r) <= lim) {
			return linTol{}, false
		}
		var dl float64 // per-row loss bound
		switch c.kind {
		case linLS, linRidge:
			F[i] = dz[i]
			a[i] = (2*eps64+eps)*(math.Abs(r)+dz[i]) + eta + eta64
			d := dz[i] + 2*eps64*(math.Abs(r)+dz[i]) // r in float64 from the rounded z
			dl = d*(math.Abs(r)+d/2) + eps64*(math.Abs(r)+d)*(math.Abs(r)+d) + 2*eta64
		case linLogistic:
			tt := max(0, math.Abs(z)-dz[i])
			e := math.Exp(-tt)
			F[i] = e / ((1 + e) * (1 + e)) * dz[i] * (1 + 0x1p-30)
			sgUp := min(1, sigmoidRef(z+dz[i])*(1+0x1p-30))
			a[i] = 12*eps64*sgUp + (2*eps64+eps)*(math.Abs(r)+F[i]) + eta + 8*eta64
			spUp := ref.sp[i] + sgUp*dz[i]
			dl = (math.Abs(r)+F[i])*dz[i] + 2*eps64*(6*spUp+2*math.Abs(y)*(math.Abs(z)+dz[i])+2*(math.Abs(ref.ell[i])+(math.Abs(r)+F[i])*dz[i])) + 8*eta64
		case linSoftmax:
			// Each softmax output p and its complement 1 − p = Σ_{j≠o} p_j move
			// by at most a factor e^{±2Δ} when every logit moves by at most Δ.
			// The bound on p·(e^{2Δ}−1) is taken from the reference's
			// e^{(z_o − max z) − log s}, accurate to (k+4+2|z_o − max z|)·ε₆₄
			// relative (hence the factor 1 + 2⁻³⁰) unless it underflows, then
			// from e^{(z_o − max z) − log s + 2Δ}; past 2Δ = 700 the bound is
			// vacuous and the property is not checked.
			if 2*dmax > 700 {
				return linTol{}, false
			}
			grow := math.Expm1(2 * dmax)
			mx, lnS := ref.mx[i], ref.lnS[i]
			up := func(o int) float64 {
				e := (ref.z[i*k+o] - mx) - lnS
				if v := math.Exp(e); v > 0x1p-1000 {
					return v * grow * (1 + 0x1p-30)
				}
				return math.Exp(e + 2*dmax)
			}
			lse := mx + lnS
			for o := 0; o < k; o++ {
				ro := ref.r[i*k+o]
				var comp float64
				for j := 0; j < k; j++ {
					if j != o {
						comp += up(j)
					}
				}
				F[i*k+o] = min(up(o), comp) * (1 + 0x1p-30)
				e := (ref.z[i*k+o] - mx) - lnS
				pUp := min(1, math.Exp(e+2*dmax)*(1+0x1p-30))
				q := float64(k+4) + 2*(mx-ref.z[i*k+o]+2*dmax)
				a[i*k+o] = 2*q*eps64*pUp + elemT*pUp + (eps+eps64)*(math.Abs(ro)+F[i*k+o]) + 2*eta + 8*eta64
				dl += (math.Abs(ro) + F[i*k+o]) * dz[i*k+o]
			}
			dl += 2*float64(k+3)*eps64*max(1, math.Abs(lse)+dmax) + elemT*(math.Abs(lse)+dmax) +
				2*eps64*(math.Abs(ref.ell[i])+dl) + 8*eta64
		}
		lrow += dl
		absEll += math.Abs(ref.ell[i])
	}
	tol := linTol{grad: make([]float64, c.numParams()), doc: make([]float64, c.numParams()), sumAbsR: make([]float64, c.numParams())}
	entry := func(idx, j, o int, pen float64) bool {
		var G, A, Fs float64
		for i := 0; i < m; i++ {
			xij := 1.0
			if j >= 0 {
				xij = math.Abs(float64(c.x[i*n+j]))
			}
			G += xij * math.Abs(ref.r[i*k+o])
			A += xij * a[i*k+o]
			Fs += xij * F[i*k+o]
		}
		G, A, Fs = G/mf, A/mf, Fs/mf
		if !(G*mf <= lim) || !(pen <= lim) || !(math.Abs(ref.grad[idx]) <= lim) {
			return false
		}
		doc := 2 * float64(m+n) * eps * G
		b := doc + A + (gamma(3, eps)+gamma(3, eps64))*pen + float64(2*m+6)*(eta+eta64)
		b += Fs + gamma(m+5, eps)*(G+A+Fs) + gamma(m+3, eps64)*G
		tol.grad[idx], tol.doc[idx], tol.sumAbsR[idx] = b*(1+0x1p-30), doc, G
		return true
	}
	for j := 0; j < n; j++ {
		for o := 0; o < k; o++ {
			if !entry(j*k+o, j, o, c.l2*math.Abs(float64(w[j*k+o]))) {
				return linTol{}, false
			}
		}
	}
	if c.intercept {
		for o := 0; o < k; o++ {
			if !entry(n*k+o, -1, o, 0) {
				return linTol{}, false
			}
		}
	}
	lrow /= mf
	pen := c.l2 / 2 * ref.ww
	lt := lrow + 2*gamma(m+2, eps64)*(absEll/mf+lrow) + 2*gamma(n*k+3, eps64)*pen
	lt += eps*(math.Abs(ref.loss)+lt) + eta
	tol.loss = lt * (1 + 0x1p-30)
	return tol, true
}

func sigmoidRef(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

// linCompare checks property 4 for one backend and block size.
func linCompare[T float](t *testing.T, c *linInput[T], ref *linRef, tol *linTol, name string, loss, lossG T, grad []T) {
	t.Helper()
	for i, g := range grad {
		d := math.Abs(float64(g) - ref.grad[i])
		if !(d <= tol.grad[i]) {
			t.Fatalf("%s: grad[%d] = %v, reference %v: |difference| %.3g > bound %.3g (documented term %.3g = %.3g·ε·(1/m)Σ|x·r|, (1/m)Σ|x·r| = %.3g)\nθ %v\ny %v\nX %v",
				name, i, g, ref.grad[i], d, tol.grad[i], tol.doc[i], float64(2*(c.m+c.n)), tol.sumAbsR[i], c.theta, c.y, c.x)
		}
	}
	for _, l := range []struct {
		what string
		v    T
	}{{"Loss", loss}, {"LossGrad's loss", lossG}} {
		if d := math.Abs(float64(l.v) - ref.loss); !(d <= tol.loss) {
			t.Fatalf("%s: %s = %v, reference %v: |difference| %.3g > bound %.3g", name, l.what, l.v, ref.loss, d, tol.loss)
		}
	}
	if d := math.Abs(float64(loss) - float64(lossG)); !(d <= 2*tol.loss) {
		t.Fatalf("%s: Loss = %v, LossGrad's loss %v: |difference| %.3g > twice the bound %.3g", name, loss, lossG, d, tol.loss)
	}
}
