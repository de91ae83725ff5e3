package detect

import (
	"fmt"
	"slices"
)

// add translates Add: two tensors of one shape, or a tensor and a
// constant that broadcasts to it (a bias split off a convolution).
func (t *translator) add(n onnxNode) error {
	if len(n.inputs) != 2 {
		return fmt.Errorf("needs two inputs")
	}
	a, b := t.vals[n.inputs[0]], t.vals[n.inputs[1]]
	c := t.g.inits[n.inputs[1]]
	if a == nil {
		a, b, c = b, a, t.g.inits[n.inputs[0]]
	}
	if a == nil {
		return fmt.Errorf("inputs %q and %q are not computed before the node", n.inputs[0], n.inputs[1])
	}
	s := xnnStep{kind: stepAdd, in: a.root, in2: -1, lo: negInf, hi: posInf}
	var err error
	if s.sa, err = shape4(a); err != nil {
		return err
	}
	switch {
	case b != nil:
		if b.nhwc != a.nhwc || !slices.Equal(a.shape, b.shape) {
			return fmt.Errorf("inputs of shapes %v and %v: only equal shapes or a constant broadcast are supported", a.shape, b.shape)
		}
		s.in2, s.sb = b.root, s.sa
	case c != nil && c.f != nil:
		if s.sb, s.konst, err = constTo(a, c); err != nil {
			return err
		}
	default:
		return fmt.Errorf("input %q is neither computed before the node nor a float32 constant", n.inputs[1])
	}
	t.emit(n, s, a.shape, a.nhwc)
	return nil
}

// shape4 is v's shape as stored, right-aligned to four dimensions.
func shape4(v *tval) ([4]int, error) {
	var s [4]int
	if len(v.shape) > 4 {
		return s, fmt.Errorf("%d-D tensors are not supported", len(v.shape))
	}
	if v.nhwc {
		return [4]int{v.shape[0], v.shape[2], v.shape[3], v.shape[1]}, nil
	}
	s = [4]int{1, 1, 1, 1}
	copy(s[4-len(v.shape):], v.shape)
	return s, nil
}

// constTo lays the constant c out like the tensor v it is added to: its
// stored shape and data (transposed to NHWC for a feature map). It must
// broadcast to v without making it larger.
func constTo(v *tval, c *onnxTensor) ([4]int, []float32, error) {
	var d [4]int
	if len(c.dims) > len(v.shape) {
		return d, nil, fmt.Errorf("constant %v has more dimensions than %v", c.dims, v.shape)
	}
	logical := make([]int, len(v.shape))
	for i := range logical {
		logical[i] = 1
	}
	copy(logical[len(v.shape)-len(c.dims):], c.dims)
	for i, x := range logical {
		if x != 1 && x != v.shape[i] {
			return d, nil, fmt.Errorf("constant %v does not broadcast to %v", c.dims, v.shape)
		}
	}
	cv := &tval{shape: logical, nhwc: v.nhwc}
	d, err := shape4(cv)
	if err != nil || !v.nhwc {
		return d, c.f, err
	}
	nn, ch, h, w := logical[0], logical[1], logical[2], logical[3]
	out := make([]float32, len(c.f))
	for b := 0; b < nn; b++ {
		for k := 0; k < ch; k++ {
			for y := 0; y < h; y++ {
				for x := 0; x < w; x++ {
					out[((b*h+y)*w+x)*ch+k] = c.f[((b*ch+k)*h+y)*w+x]
				}
			}
		}
	}
	return d, out, nil
}

// reshape translates a Transpose to NHWC of a feature map (free: it is
// stored so) and a Reshape of a tensor in ONNX order (free too).
func (t *translator) reshape(n onnxNode) error {
	x, err := t.input(n, 0)
	if err != nil {
		return err
	}
	alias := &tval{root: x.root, step: -1}
	if n.op == "Transpose" {
		perm := attrInts(n, "perm")
		switch {
		case x.nhwc && slices.Equal(perm, []int{0, 2, 3, 1}):
			alias.shape = []int{x.shape[0], x.shape[2], x.shape[3], x.shape[1]}
		case !x.nhwc && isIdentity(perm, len(x.shape)):
			alias.shape = x.shape
		default:
			return fmt.Errorf("perm %v of a %v tensor: only NCHW → NHWC of a feature map is supported", perm, x.shape)
		}
		t.vals[n.outputs[0]] = alias
		return nil
	}
	if !flat(x) {
		return fmt.Errorf("reshape of a feature map %v: only after a Transpose to NHWC", x.shape)
	}
	c := t.g.inits[n.inputs[1]]
	if len(n.inputs) != 2 || c == nil || c.i == nil {
		return fmt.Errorf("the target shape must be an int64 constant")
	}
	shape, infer, total := make([]int, len(c.i)), -1, numel(x.shape)
	known := 1
	for i, v := range c.i {
		switch {
		case v == 0 && i < len(x.shape):
			shape[i] = x.shape[i]
		case v == -1 && infer < 0:
			infer = i
			continue
		case v < 1:
			return fmt.Errorf("target shape %v: bad dimension %d", c.i, v)
		default:
			shape[i] = int(min(v, maxONNXElem))
		}
		known *= shape[i]
	}
	if infer >= 0 && known > 0 {
		shape[infer] = total / known
		known *= shape[infer]
	}
	if known != total {
		return fmt.Errorf("target shape %v does not hold the %d values of %v", c.i, total, x.shape)
	}
	alias.shape = shape
	t.vals[n.outputs[0]] = alias
	return nil
}

func isIdentity(perm []int, rank int) bool {
	if len(perm) != rank {
		return false
	}
	for i, p := range perm {
		if p != i {
			return false
		}
	}
	return true
}

// concat translates a Concat along an axis with nothing but ones before
// it: the inputs' floats one after the other.
func (t *translator) concat(n onnxNode) error {
	first, err := t.input(n, 0)
	if err != nil {
		return err
	}
	rank := len(first.shape)
	axis := int(attrInt(n, "axis", 0))
	if axis < 0 {
		axis += rank
	}
	if axis < 0 || axis >= rank || numel(first.shape[:axis]) != 1 {
		return fmt.Errorf("axis %d of %v: only an axis with ones before it is supported", axis, first.shape)
	}
	shape := slices.Clone(first.shape)
	shape[axis] = 0
	var parts []*tval
	for i := range n.inputs {
		x, err := t.input(n, i)
		if err != nil {
			return err
		}
		if !flat(x) || len(x.shape) != rank {
			return fmt.Errorf("input %q %v: need %d-D tensors in ONNX order", n.inputs[i], x.shape, rank)
		}
		for k := range x.shape {
			if k != axis && x.shape[k] != first.shape[k] {
				return fmt.Errorf("input %q %v does not match %v off axis %d", n.inputs[i], x.shape, first.shape, axis)
			}
		}
		shape[axis] += x.shape[axis]
		parts = append(parts, x)
	}
	out := t.newRoot(numel(shape))
	off := 0
	for _, x := range parts {
		k := numel(x.shape)
		t.plan.steps = append(t.plan.steps, xnnStep{kind: stepCopy, node: n.name, in: x.root, in2: -1, out: out, n: k, outOff: off})
		off += k
	}
	t.vals[n.outputs[0]] = &tval{shape: shape, root: out, step: -1}
	return nil
}

// allocate gives every buffer a slot, reusing the slots of buffers no
// longer used, and rewrites the steps and outputs with slot indices.
func (t *translator) allocate() {
	p := &t.plan
	touches := func(s xnnStep) []int {
		if s.kind == stepAdd && s.in2 >= 0 {
			return []int{s.in, s.in2, s.out}
		}
		return []int{s.in, s.out}
	}
	last := make([]int, len(t.roots))
	for i, s := range p.steps {
		for _, r := range touches(s) {
			last[r] = i
		}
	}
	for _, o := range p.outputs {
		last[o.slot] = len(p.steps)
	}
	slot := make([]int, len(t.roots))
	for i := range slot {
		slot[i] = -1
	}
	var free []int
	take := func(r int) {
		// The smallest free slot that is large enough, else the largest
		// one (grown), else a new one.
		best, need := -1, t.roots[r]
		for k, sl := range free {
			size := p.slots[sl]
			switch {
			case best < 0:
				best = k
			case size >= need && (p.slots[free[best]] < need || size < p.slots[free[best]]):
				best = k
			case size < need && p.slots[free[best]] < need && size > p.slots[free[best]]:
				best = k
			}
		}
		if best < 0 {
			p.slots = append(p.slots, 0)
			slot[r] = len(p.slots) - 1
		} else {
			slot[r] = free[best]
			free = slices.Delete(free, best, best+1)
		}
		p.slots[slot[r]] = max(p.slots[slot[r]], need)
	}
	take(0) // the input
	for i, s := range p.steps {
		if slot[s.out] < 0 {
			take(s.out)
		}
		for _, r := range touches(s) {
			if last[r] == i && !slices.Contains(free, slot[r]) {
				free = append(free, slot[r])
			}
		}
	}
	for i := range p.steps {
		s := &p.steps[i]
		s.in, s.out = slot[s.in], slot[s.out]
		if s.kind == stepAdd && s.in2 >= 0 {
			s.in2 = slot[s.in2]
		}
	}
	for i := range p.outputs {
		p.outputs[i].slot = slot[p.outputs[i].slot]
	}
	p.input = slot[0]
}
