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
