package detect

import (
	"fmt"
	"math"
)

// The translation of an ONNX graph into steps for XNNPACK's operator API.
// It knows the node kinds of MobileNet-style SSDs (Conv, grouped and
// depthwise too; Clip and Relu, fused into the step before them when they
// can be; Add; Sigmoid; and the heads' Transpose, Reshape and Concat);
// any other node is an error naming it, and the caller falls back to
// OpenCV. 4-D feature maps are kept NHWC: a Transpose to NHWC is then
// free, and so is a Reshape of its result.

// Bounds of an unclamped output.
var (
	negInf = float32(math.Inf(-1))
	posInf = float32(math.Inf(1))
)

// stepKind says what an xnnStep does.
type stepKind int

const (
	stepConv stepKind = iota
	stepAdd
	stepClamp
	stepSigmoid
	stepCopy
)

// xnnStep is one operator of a plan; slots are indices of the plan's
// buffers.
type xnnStep struct {
	kind stepKind
	node string // the ONNX node, for errors
	in   int
	in2  int // second input slot of an Add, -1 for a constant
	out  int

	// Conv: input size, pads (top, right, bottom, left), kernel, strides,
	// dilations, groups and channels per group; kernel is
	// [groups][goc][kh][kw][gic].
	h, w, kh, kw, sh, sw, dh, dw int
	pads                         [4]int
	groups, gic, goc             int
	kernel, bias                 []float32
	// Clamp of the output (Conv, Add, Clamp).
	lo, hi float32
	// Add: NHWC shapes of both inputs; konst the constant second input.
	sa, sb [4]int
	konst  []float32
	// Copy (and Clamp, Sigmoid): floats, offsets.
	n, inOff, outOff int
}

// xnnOutput is a graph output: where its floats are and its shape.
type xnnOutput struct {
	name  string
	slot  int
	shape []int
}

// xnnPlan is a translated graph.
type xnnPlan struct {
	steps   []xnnStep
	slots   []int // size of each slot in floats
	input   int   // slot of the NHWC input
	inShape [4]int
	outputs []xnnOutput
}

// tval is a tensor during translation: its ONNX shape, whether it is a
// 4-D map stored NHWC, and which buffer (root) holds it at what offset.
type tval struct {
	shape []int
	nhwc  bool
	root  int
	step  int // the step that wrote it, -1 for the input or an alias
}

type translator struct {
	g     *onnxGraph
	plan  xnnPlan
	vals  map[string]*tval
	roots []int // size in floats
	uses  map[string]int
	outs  map[string]bool
}

// translateONNX makes a plan of g, or says which node it cannot run.
func translateONNX(g *onnxGraph) (*xnnPlan, error) {
	t := &translator{g: g, vals: map[string]*tval{}, uses: map[string]int{}, outs: map[string]bool{}}
	if len(g.inputs) != 1 || len(g.inputs[0].shape) != 4 {
		return nil, fmt.Errorf("xnnpack: the graph must have one 4-D input, has %d", len(g.inputs))
	}
	in := g.inputs[0]
	for i, d := range in.shape {
		if d <= 0 || (i == 0 && d != 1) || d > 4096 {
			return nil, fmt.Errorf("xnnpack: input %q has shape %v: need a fixed 1×C×H×W, at most 4096 each", in.name, in.shape)
		}
		t.plan.inShape[i] = d
	}
	t.vals[in.name] = &tval{shape: in.shape, nhwc: true, root: t.newRoot(numel(in.shape)), step: -1}
	for _, n := range g.nodes {
		for _, s := range n.inputs {
			t.uses[s]++
		}
	}
	for _, o := range g.outputs {
		t.outs[o.name] = true
	}
	for _, n := range g.nodes {
		if err := t.node(n); err != nil {
			return nil, fmt.Errorf("xnnpack: node %q (%s): %w", n.name, n.op, err)
		}
		if v := t.vals[n.outputs[0]]; v != nil && numel(v.shape) > maxTensor {
			return nil, fmt.Errorf("xnnpack: node %q (%s): output %v is too large", n.name, n.op, v.shape)
		}
	}
	for _, o := range g.outputs {
		v := t.vals[o.name]
		if v == nil {
			return nil, fmt.Errorf("xnnpack: output %q is not computed by the graph", o.name)
		}
		if !flat(v) {
			return nil, fmt.Errorf("xnnpack: output %q is a feature map %v; only outputs in ONNX order are supported", o.name, v.shape)
		}
		t.plan.outputs = append(t.plan.outputs, xnnOutput{name: o.name, slot: v.root, shape: v.shape})
	}
	t.allocate()
	return &t.plan, nil
}

// maxTensor bounds one tensor, in floats (512 MB): a damaged graph must
// not make the engine allocate more than a box has.
const maxTensor = 1 << 27

func (t *translator) newRoot(size int) int {
	t.roots = append(t.roots, size)
	return len(t.roots) - 1
}

// flat reports whether v's floats are in ONNX (row-major) order.
func flat(v *tval) bool {
	return !v.nhwc || v.shape[2]*v.shape[3] == 1 || v.shape[1] == 1
}

func numel(s []int) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

// input returns the tensor named s, which must be computed by now.
func (t *translator) input(n onnxNode, i int) (*tval, error) {
	if i >= len(n.inputs) {
		return nil, fmt.Errorf("needs input %d", i)
	}
	v := t.vals[n.inputs[i]]
	if v == nil {
		return nil, fmt.Errorf("input %q is not computed before the node (or is a constant where a tensor is needed)", n.inputs[i])
	}
	return v, nil
}

// emit appends a step writing a new tensor of the given shape, named by
// the node's first output.
func (t *translator) emit(n onnxNode, s xnnStep, shape []int, nhwc bool) {
	s.node = n.name
	s.out = t.newRoot(numel(shape))
	t.plan.steps = append(t.plan.steps, s)
	t.vals[n.outputs[0]] = &tval{shape: shape, nhwc: nhwc, root: s.out, step: len(t.plan.steps) - 1}
}

func (t *translator) node(n onnxNode) error {
	if len(n.outputs) != 1 {
		return fmt.Errorf("has %d outputs, want 1", len(n.outputs))
	}
	switch n.op {
	case "Conv":
		return t.conv(n)
	case "Clip", "Relu":
		return t.clip(n)
	case "Add":
		return t.add(n)
	case "Sigmoid":
		x, err := t.input(n, 0)
		if err != nil {
			return err
		}
		t.emit(n, xnnStep{kind: stepSigmoid, in: x.root, n: numel(x.shape)}, x.shape, x.nhwc)
		return nil
	case "Transpose", "Reshape":
		return t.reshape(n)
	case "Concat":
		return t.concat(n)
	}
	return fmt.Errorf("operator not supported by the XNNPACK engine")
}

func (t *translator) conv(n onnxNode) error {
	x, err := t.input(n, 0)
	if err != nil {
		return err
	}
	if !x.nhwc || len(x.shape) != 4 {
		return fmt.Errorf("input %v is not a 4-D feature map", x.shape)
	}
	w := t.g.inits[n.inputs[1]]
	if w == nil || len(w.dims) != 4 || w.f == nil {
		return fmt.Errorf("weights %q: need a float32 constant O×I×kH×kW", n.inputs[1])
	}
	if a, ok := n.attrs["auto_pad"]; ok && a.i != 0 {
		return fmt.Errorf("auto_pad is not supported (explicit pads only)")
	}
	groups := int(attrInt(n, "group", 1))
	cin, o, gic, kh, kw := x.shape[1], w.dims[0], w.dims[1], w.dims[2], w.dims[3]
	if groups < 1 || cin != groups*gic || o%groups != 0 {
		return fmt.Errorf("weights %v do not fit %d input channels in %d groups", w.dims, cin, groups)
	}
	strides, dil, pads := attrInts(n, "strides", 1, 1), attrInts(n, "dilations", 1, 1), attrInts(n, "pads", 0, 0, 0, 0)
	if len(strides) != 2 || len(dil) != 2 || len(pads) != 4 {
		return fmt.Errorf("strides, dilations or pads are not 2-D")
	}
	s := xnnStep{kind: stepConv, in: x.root, h: x.shape[2], w: x.shape[3], kh: kh, kw: kw,
		sh: strides[0], sw: strides[1], dh: dil[0], dw: dil[1],
		// ONNX pads are begin (y, x), end (y, x); XNNPACK's top, right, bottom, left.
		pads:   [4]int{pads[0], pads[3], pads[2], pads[1]},
		groups: groups, gic: gic, goc: o / groups, lo: negInf, hi: posInf}
	for _, v := range append(append(strides, dil...), pads...) {
		if v < 0 || v > 64 {
			return fmt.Errorf("stride, dilation or pad %d out of range", v)
		}
	}
	if s.sh < 1 || s.sw < 1 || s.dh < 1 || s.dw < 1 {
		return fmt.Errorf("strides and dilations must be ≥ 1")
	}
	oh := (s.h+pads[0]+pads[2]-s.dh*(kh-1)-1)/s.sh + 1
	ow := (s.w+pads[1]+pads[3]-s.dw*(kw-1)-1)/s.sw + 1
	if oh <= 0 || ow <= 0 {
		return fmt.Errorf("kernel %d×%d larger than its padded input %d×%d", kh, kw, s.h, s.w)
	}
	// OIHW → O·kH·kW·I: each output channel's taps, input channels last.
	s.kernel = make([]float32, len(w.f))
	for oc := 0; oc < o; oc++ {
		for y := 0; y < kh; y++ {
			for xx := 0; xx < kw; xx++ {
				for ic := 0; ic < gic; ic++ {
					s.kernel[((oc*kh+y)*kw+xx)*gic+ic] = w.f[((oc*gic+ic)*kh+y)*kw+xx]
				}
			}
		}
	}
	if len(n.inputs) > 2 && n.inputs[2] != "" {
		b := t.g.inits[n.inputs[2]]
		if b == nil || b.f == nil || len(b.f) != o {
			return fmt.Errorf("bias %q: need %d float32", n.inputs[2], o)
		}
		s.bias = b.f
	}
	t.emit(n, s, []int{1, o, oh, ow}, true)
	return nil
}

// clip fuses Clip (min/max attributes, or constant inputs from opset 11)
// or Relu into the step that wrote its input when nothing else reads that
// tensor; else it is a step of its own.
func (t *translator) clip(n onnxNode) error {
	x, err := t.input(n, 0)
	if err != nil {
		return err
	}
	lo, hi := float32(0), float32(math.Inf(1))
	if n.op == "Clip" {
		lo, hi = float32(math.Inf(-1)), float32(math.Inf(1))
		if a, ok := n.attrs["min"]; ok {
			lo = a.f
		}
		if a, ok := n.attrs["max"]; ok {
			hi = a.f
		}
		for i, p := range []*float32{&lo, &hi} {
			if len(n.inputs) > i+1 && n.inputs[i+1] != "" {
				c := t.g.inits[n.inputs[i+1]]
				if c == nil || len(c.f) != 1 {
					return fmt.Errorf("bound %q: need a float32 constant", n.inputs[i+1])
				}
				*p = c.f[0]
			}
		}
	}
	if !(lo <= hi) {
		return fmt.Errorf("min %v above max %v", lo, hi)
	}
	if x.step >= 0 && t.uses[n.inputs[0]] == 1 && !t.outs[n.inputs[0]] {
		if s := &t.plan.steps[x.step]; s.kind == stepConv || s.kind == stepAdd || s.kind == stepClamp {
			s.lo, s.hi = max(s.lo, lo), min(s.hi, hi)
			t.vals[n.outputs[0]] = x
			return nil
		}
	}
	t.emit(n, xnnStep{kind: stepClamp, in: x.root, n: numel(x.shape), lo: lo, hi: hi}, x.shape, x.nhwc)
	return nil
}

func attrInt(n onnxNode, name string, def int64) int64 {
	if a, ok := n.attrs[name]; ok {
		return a.i
	}
	return def
}

func attrInts(n onnxNode, name string, def ...int) []int {
	a, ok := n.attrs[name]
	if !ok {
		return def
	}
	out := make([]int, len(a.ints))
	for i, v := range a.ints {
		out[i] = int(max(min(v, 1<<20), -1))
	}
	return out
}
