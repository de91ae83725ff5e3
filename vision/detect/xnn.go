package detect

// #cgo LDFLAGS: -lXNNPACK
// #include <stdlib.h>
// #include "xnnshim.h"
import "C"

import (
	"fmt"
	"unsafe"

	"gocv.io/x/gocv"
)

// xnnNet is an ONNX model run by XNNPACK (the CPU engine behind
// TensorFlow Lite) on the calling thread: the same weights as OpenCV's
// dnn, in NHWC with kernels tuned for depthwise-separable networks.
type xnnNet struct {
	x      *C.pn_xnn
	plan   *xnnPlan
	errBuf *C.char
	outs   [][]float32 // views of the outputs, valid until the next forward
	shapes [][]int
}

// newXNN reads and translates the ONNX model at path and builds it for an
// input of inW × inH pixels. An error names the node XNNPACK cannot run,
// or why XNNPACK cannot start.
func newXNN(path string, inW, inH int) (*xnnNet, error) {
	if err := xnnInit(); err != nil {
		return nil, err
	}
	g, err := readONNX(path)
	if err != nil {
		return nil, err
	}
	plan, err := translateONNX(g)
	if err != nil {
		return nil, err
	}
	// Checked before any buffer is made for the graph's own size.
	if want := [4]int{1, 3, inH, inW}; plan.inShape != want {
		return nil, fmt.Errorf("xnnpack: the graph's input is %v, the config asks for %v", plan.inShape, want)
	}
	return buildXNN(plan)
}

// xnnInit initialises XNNPACK (once per process; later calls return the
// first result).
func xnnInit() error {
	errBuf := (*C.char)(C.calloc(errLen, 1))
	defer C.free(unsafe.Pointer(errBuf))
	if C.pn_xnn_init(errBuf, errLen) != 0 {
		return fmt.Errorf("xnnpack: %s", C.GoString(errBuf))
	}
	return nil
}

// buildXNN creates the plan's operators.
func buildXNN(plan *xnnPlan) (*xnnNet, error) {
	n := &xnnNet{plan: plan, errBuf: (*C.char)(C.calloc(errLen, 1))}
	sizes := make([]C.size_t, len(plan.slots))
	for i, s := range plan.slots {
		sizes[i] = C.size_t(s)
	}
	n.x = C.pn_xnn_new(C.int(len(sizes)), &sizes[0], n.errBuf, errLen)
	if n.x == nil {
		err := fmt.Errorf("xnnpack: %s", C.GoString(n.errBuf))
		C.free(unsafe.Pointer(n.errBuf))
		return nil, err
	}
	for _, s := range plan.steps {
		if rc := n.add(s); rc != 0 {
			err := fmt.Errorf("xnnpack: node %q: %s", s.node, C.GoString(n.errBuf))
			n.close()
			return nil, err
		}
	}
	for _, o := range plan.outputs {
		p := C.pn_xnn_slot(n.x, C.int(o.slot))
		n.outs = append(n.outs, unsafe.Slice((*float32)(unsafe.Pointer(p)), numel(o.shape)))
		n.shapes = append(n.shapes, o.shape)
	}
	return n, nil
}

// add creates one step's operator (XNNPACK copies the weights).
func (n *xnnNet) add(s xnnStep) C.int {
	fp := func(f []float32) *C.float {
		if len(f) == 0 {
			return nil
		}
		return (*C.float)(unsafe.Pointer(&f[0]))
	}
	switch s.kind {
	case stepConv:
		pads := [4]C.int{C.int(s.pads[0]), C.int(s.pads[1]), C.int(s.pads[2]), C.int(s.pads[3])}
		return C.pn_xnn_conv(n.x, C.int(s.in), C.int(s.out), C.int(s.h), C.int(s.w), &pads[0],
			C.int(s.kh), C.int(s.kw), C.int(s.sh), C.int(s.sw), C.int(s.dh), C.int(s.dw),
			C.int(s.groups), C.int(s.gic), C.int(s.goc), fp(s.kernel), fp(s.bias),
			C.float(s.lo), C.float(s.hi), n.errBuf, errLen)
	case stepAdd:
		var sa, sb [4]C.size_t
		for i := range sa {
			sa[i], sb[i] = C.size_t(s.sa[i]), C.size_t(s.sb[i])
		}
		return C.pn_xnn_add(n.x, C.int(s.in), &sa[0], C.int(s.in2), &sb[0], fp(s.konst), C.int(s.out),
			C.float(s.lo), C.float(s.hi), n.errBuf, errLen)
	case stepClamp, stepSigmoid:
		kind := C.int(0)
		if s.kind == stepSigmoid {
			kind = 1
		}
		return C.pn_xnn_unary(n.x, kind, C.int(s.in), C.int(s.out), C.size_t(s.n), C.float(s.lo), C.float(s.hi), n.errBuf, errLen)
	case stepCopy:
		return C.pn_xnn_copy(n.x, C.int(s.in), C.size_t(s.inOff), C.int(s.out), C.size_t(s.outOff), C.size_t(s.n), n.errBuf, errLen)
	}
	return -1
}

// forward fills the input from img placed at g (see pn_net_forward for
// the pre-processing, which this repeats) and runs the network.
func (n *xnnNet) forward(img gocv.Mat, g letterbox, pad int, scale, mean float64, swapRB bool) error {
	if n.plan.inShape[1] != 3 || n.plan.inShape[2] != g.inH || n.plan.inShape[3] != g.inW {
		return fmt.Errorf("xnnpack: the model's input is %v, not 1×3×%d×%d", n.plan.inShape, g.inH, g.inW)
	}
	data, err := img.DataPtrUint8()
	if err != nil {
		return fmt.Errorf("xnnpack: frame: %w", err)
	}
	swap := C.int(0)
	if swapRB {
		swap = 1
	}
	if C.pn_xnn_input(n.x, C.int(n.plan.input), (*C.uchar)(unsafe.Pointer(&data[0])), C.int(img.Rows()), C.int(img.Cols()),
		C.int(img.Channels()), C.size_t(img.Step()), C.int(g.inW), C.int(g.inH),
		C.int(g.x), C.int(g.y), C.int(g.w), C.int(g.h), C.int(pad),
		C.double(scale), C.double(mean), swap, n.errBuf, errLen) != 0 {
		return fmt.Errorf("xnnpack: input: %s", C.GoString(n.errBuf))
	}
	if C.pn_xnn_run(n.x, n.errBuf, errLen) != 0 {
		return fmt.Errorf("xnnpack: forward: %s", C.GoString(n.errBuf))
	}
	return nil
}

// close frees the operators and buffers.
func (n *xnnNet) close() {
	if n.x != nil {
		C.pn_xnn_close(n.x)
		n.x = nil
		C.free(unsafe.Pointer(n.errBuf))
	}
}

// runTimed runs the network as it is (same input as the last forward)
// and adds each step's thread CPU time to ns (one entry per plan step).
// The caller stays on one OS thread (runtime.LockOSThread) meanwhile.
func (n *xnnNet) runTimed(ns []float64) error {
	if len(ns) != len(n.plan.steps) {
		return fmt.Errorf("xnnpack: %d timings for %d steps", len(ns), len(n.plan.steps))
	}
	if C.pn_xnn_run_timed(n.x, (*C.double)(unsafe.Pointer(&ns[0])), n.errBuf, errLen) != 0 {
		return fmt.Errorf("xnnpack: forward: %s", C.GoString(n.errBuf))
	}
	return nil
}

// run runs the network on an input already in NHWC float32 (for tests
// that feed the graph directly, without pre-processing).
func (n *xnnNet) run(nhwc []float32) error {
	if len(nhwc) != numel(n.plan.inShape[:]) {
		return fmt.Errorf("xnnpack: %d input floats for %v", len(nhwc), n.plan.inShape)
	}
	in := unsafe.Slice((*float32)(unsafe.Pointer(C.pn_xnn_slot(n.x, C.int(n.plan.input)))), len(nhwc))
	copy(in, nhwc)
	if C.pn_xnn_run(n.x, n.errBuf, errLen) != 0 {
		return fmt.Errorf("xnnpack: forward: %s", C.GoString(n.errBuf))
	}
	return nil
}
