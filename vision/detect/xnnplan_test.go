package detect

import (
	"encoding/binary"
	"errors"
	"math"
	"math/rand"
	"os"
	"strings"
	"testing"

	"gocv.io/x/gocv"
)

// clipNode is an ONNX Clip in its old form: min and max as attributes.
func clipNode(in, out string, lo, hi float32) pb {
	attr := func(name string, v float32) pb {
		a := pb(nil).str(1, name).tag(2, 5)
		return pb(binary.LittleEndian.AppendUint32(a, math.Float32bits(v))).int(20, 1)
	}
	return pb(nil).str(1, in).str(2, out).str(3, "clip_"+out).str(4, "Clip").
		bytes(5, attr("min", lo)).bytes(5, attr("max", hi))
}

// ramp is n deterministic weights in about [-0.5, 0.5].
func ramp(n int, seed int64) []float32 {
	r := rand.New(rand.NewSource(seed))
	f := make([]float32, n)
	for i := range f {
		f[i] = r.Float32() - 0.5
	}
	return f
}

// tinyNet is a small graph with every node kind the translator knows, in
// the shapes that catch mistakes: an odd, non-square input; a strided
// convolution with TensorFlow's asymmetric padding; depthwise, grouped
// and dilated convolutions; a tensor read by two nodes; an Add of two
// tensors and of a per-channel constant; Clip and Relu fused and not;
// the SSD heads' Transpose, Reshape, Concat and Sigmoid. wdDims replaces
// the depthwise weights' dims (data unchanged), for the damaged case.
func tinyNet(wdDims []int64) []byte {
	ints := func(kv ...any) map[string][]int64 {
		m := map[string][]int64{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1].([]int64)
		}
		return m
	}
	// Attributes are INTS but group and axis, which are INT.
	node := func(op string, in, out []string, a map[string][]int64) pb {
		n := node(op, in, out, nil)
		for k, vs := range a {
			if k == "group" || k == "axis" {
				n = n.bytes(5, pb(nil).str(1, k).int(3, vs[0]).int(20, 2))
				continue
			}
			a := pb(nil).str(1, k)
			for _, v := range vs {
				a = a.int(8, v)
			}
			n = n.bytes(5, a.int(20, 7))
		}
		return n
	}
	if wdDims == nil {
		wdDims = []int64{8, 1, 3, 3}
	}
	g := pb(nil).
		bytes(1, node("Conv", []string{"x", "W1", "B1"}, []string{"c1"}, ints("strides", []int64{2, 2}, "pads", []int64{0, 0, 1, 1}, "kernel_shape", []int64{3, 3}))).
		bytes(1, clipNode("c1", "r1", 0, 6)).
		bytes(1, node("Conv", []string{"r1", "Wd", "Bd"}, []string{"d1"}, ints("group", []int64{8}, "pads", []int64{1, 1, 1, 1}))).
		bytes(1, clipNode("d1", "r2", 0, 6)).
		bytes(1, node("Conv", []string{"r2", "Wg"}, []string{"g1"}, ints("group", []int64{2}))).
		bytes(1, node("Conv", []string{"r2", "Wp", "Bp"}, []string{"p1"}, nil)).
		bytes(1, node("Add", []string{"g1", "p1"}, []string{"s1"}, nil)).
		bytes(1, node("Add", []string{"K", "s1"}, []string{"s2"}, nil)).
		bytes(1, node("Relu", []string{"s2"}, []string{"s3"}, nil)).
		bytes(1, node("Transpose", []string{"s3"}, []string{"t1"}, ints("perm", []int64{0, 2, 3, 1}))).
		bytes(1, node("Reshape", []string{"t1", "shape"}, []string{"raw"}, nil)).
		bytes(1, node("Conv", []string{"s3", "Wh"}, []string{"c2"}, ints("dilations", []int64{2, 2}, "pads", []int64{2, 2, 2, 2}))).
		bytes(1, node("Transpose", []string{"c2"}, []string{"t2"}, ints("perm", []int64{0, 2, 3, 1}))).
		bytes(1, node("Reshape", []string{"t2", "shape"}, []string{"h2"}, nil)).
		bytes(1, node("Concat", []string{"raw", "h2"}, []string{"cat"}, ints("axis", []int64{1}))).
		bytes(1, clipNode("cat", "cc", -1, 1)).
		bytes(1, node("Sigmoid", []string{"cc"}, []string{"scores"}, nil)).
		str(2, "pantau-test-tiny").
		bytes(5, tensor("W1", []int64{8, 3, 3, 3}, ramp(8*27, 1), nil)).
		bytes(5, tensor("B1", []int64{8}, ramp(8, 2), nil)).
		bytes(5, tensor("Wd", wdDims, ramp(int(wdDims[0]*wdDims[1]*wdDims[2]*wdDims[3]), 3), nil)).
		bytes(5, tensor("Bd", []int64{8}, ramp(8, 4), nil)).
		bytes(5, tensor("Wg", []int64{4, 4, 1, 1}, ramp(16, 5), nil)).
		bytes(5, tensor("Wp", []int64{4, 8, 1, 1}, ramp(32, 6), nil)).
		bytes(5, tensor("Bp", []int64{4}, ramp(4, 7), nil)).
		bytes(5, tensor("K", []int64{1, 4, 1, 1}, ramp(4, 8), nil)).
		bytes(5, tensor("Wh", []int64{2, 4, 3, 3}, ramp(72, 9), nil)).
		bytes(5, tensor("shape", []int64{3}, nil, []int64{1, -1, 2})).
		bytes(11, valueInfo("x", 1, 3, 9, 7)).
		bytes(12, valueInfo("scores", 1, 36, 2)).
		bytes(12, valueInfo("raw", 1, 24, 2))
	return pb(nil).int(1, 7).str(2, "pantau").bytes(7, g).bytes(8, pb(nil).str(1, "").int(2, 10))
}

// The translated tiny graph, run by XNNPACK, gives what a plain NCHW
// evaluation of the ONNX graph in Go gives (refEval), for both outputs.
func TestXNNPACKTinyGraph(t *testing.T) {
	g, err := parseModel(tinyNet(nil))
	if err != nil {
		t.Fatal(err)
	}
	plan, err := translateONNX(g)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[stepKind]int{}
	for _, s := range plan.steps {
		kinds[s.kind]++
	}
	// Clip after the first two convolutions and Relu after the Add are
	// fused; the Clip after Concat is a step of its own.
	if kinds[stepConv] != 5 || kinds[stepAdd] != 2 || kinds[stepClamp] != 1 || kinds[stepSigmoid] != 1 || kinds[stepCopy] != 2 {
		t.Errorf("steps by kind %v, want 5 conv, 2 add, 1 clamp, 1 sigmoid, 2 copies", kinds)
	}
	if errs := xnnInit(); errs != nil {
		t.Fatal(errs)
	}
	x, err := buildXNN(plan)
	if err != nil {
		t.Fatal(err)
	}
	defer x.close()
	in := ramp(3*9*7, 10)
	for i := range in {
		in[i] *= 4
	}
	nhwc := make([]float32, len(in))
	for c := range 3 {
		for p := range 9 * 7 {
			nhwc[p*3+c] = in[c*9*7+p]
		}
	}
	if err := x.run(nhwc); err != nil {
		t.Fatal(err)
	}
	want := refEval(t, g, in)
	for i, o := range plan.outputs {
		ref := want[o.name]
		if len(ref) != len(x.outs[i]) || !sameShape(x.shapes[i], g.outputs[i].shape...) {
			t.Fatalf("output %s: %d floats %v, reference %d %v", o.name, len(x.outs[i]), x.shapes[i], len(ref), g.outputs[i].shape)
		}
		if d := maxDiff(ref, x.outs[i]); d > 1e-5 {
			t.Errorf("output %s differs from the reference by %g:\n got %v\nwant %v", o.name, d, x.outs[i], ref)
		}
	}
}

// The reader takes the real model apart without OpenCV: its nodes, its
// weights, its input and outputs.
func TestONNXReaderRealModel(t *testing.T) {
	cfg := defaultConfig(t)
	g, err := readONNX(cfg.Model)
	if err != nil {
		t.Fatal(err)
	}
	ops := map[string]int{}
	for _, n := range g.nodes {
		ops[n.op]++
	}
	t.Logf("%d nodes %v, %d initializers", len(g.nodes), ops, len(g.inits))
	if ops["Conv"] != 88 || ops["Clip"] != 59 || ops["Add"] != 20 || len(g.inits) != 199 {
		t.Errorf("nodes %v, %d initializers: want 88 Conv, 59 Clip, 20 Add, 199 initializers", ops, len(g.inits))
	}
	if len(g.inputs) != 1 || !sameShape(g.inputs[0].shape, 1, 3, 300, 300) {
		t.Errorf("inputs %+v, want one 1×3×300×300", g.inputs)
	}
	if len(g.outputs) != 2 || !sameShape(g.outputs[0].shape, 1, 1917, 4) || !sameShape(g.outputs[1].shape, 1, 1917, 7) {
		t.Errorf("outputs %+v, want boxes [1, 1917, 4], scores [1, 1917, 7]", g.outputs)
	}
	b, err := os.ReadFile(cfg.Model)
	if err != nil {
		t.Fatal(err)
	}
	// Cut anywhere in the graph (it is most of the file), the file is an
	// error, never a crash nor a smaller graph.
	for _, f := range []float64{0, 0.001, 0.1, 0.5, 0.9, 0.999} {
		n := int(f * float64(len(b)))
		if _, err := parseModel(b[:n]); err == nil {
			t.Errorf("cut at %d of %d bytes: no error", n, len(b))
		} else if f == 0.5 {
			t.Logf("cut at %d: %v", n, err)
		}
	}
}

// Damaged or foreign models: an error naming what is wrong, never a
// panic; under auto the detector falls back to OpenCV and says why.
func TestXNNPACKRefusesWhatItCannotRun(t *testing.T) {
	// Weights whose data does not fill their dims.
	bad := tinyNet(nil)
	i := strings.Index(string(bad), "\x08\x08\x08\x01\x08\x03\x08\x03") // Wd's dims
	if i < 0 {
		t.Fatal("no Wd dims in the tiny net")
	}
	bad[i+7] = 4
	if _, err := parseModel(bad); err == nil || !strings.Contains(err.Error(), `initializer "Wd"`) {
		t.Errorf("short weights: %v", err)
	}
	// Weights of the wrong shape for their node.
	g, err := parseModel(tinyNet([]int64{8, 2, 3, 3}))
	if err == nil {
		_, err = translateONNX(g)
	}
	if err == nil || !strings.Contains(err.Error(), `node "Conv_d1" (Conv)`) || !strings.Contains(err.Error(), "weights") {
		t.Errorf("wrong weight dims: %v", err)
	}
	// Every single damaged byte of a good model: an error or a graph,
	// never a panic.
	good := tinyNet(nil)
	for i := range good {
		b := append([]byte(nil), good...)
		b[i] ^= 0xa5
		if g, err := parseModel(b); err == nil {
			_, _ = translateONNX(g)
		}
	}
	if _, err := parseModel([]byte("not an onnx file at all")); err == nil {
		t.Error("text parsed as ONNX")
	}
	// A graph with a node XNNPACK's translator does not know (the test
	// head's GlobalAveragePool): engine xnnpack refuses it naming model
	// and node; auto runs it on OpenCV and says why.
	path := testModel(t, FormatYOLOv5)
	cfg := DNNConfig{Name: "head", Model: path, SHA256: fileSHA(t, path), Classes: testClasses, Format: FormatYOLOv5, InputWidth: 64, InputHeight: 64, Engine: EngineXNNPACK}
	if _, err := NewDNN(cfg); err == nil || !strings.Contains(err.Error(), "model head") || !strings.Contains(err.Error(), "GlobalAveragePool") {
		t.Errorf("engine xnnpack on an unknown node: %v", err)
	}
	cfg.Engine = ""
	d, err := NewDNN(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if e, why := d.Engine(); e != EngineOpenCV || !strings.Contains(why, "GlobalAveragePool") {
		t.Errorf("auto on an unknown node: engine %s (%s), want opencv naming the node", e, why)
	}
	cfg.Engine = "tflite"
	if _, err := NewDNN(cfg); err == nil || !strings.Contains(err.Error(), "engine") {
		t.Errorf("engine tflite: %v", err)
	}
}

// Output that overflows on XNNPACK is ErrBadOutput, as on OpenCV: the
// frame is skipped, the detector stays usable. The net's 1×1 weights of
// 2e38 overflow to +Inf on a white picture only (the grey probe at load
// stays finite).
func TestXNNPACKBadOutput(t *testing.T) {
	checkMats(t)
	w := make([]float32, 8*3)
	for i := range w {
		w[i] = 2e38
	}
	g := pb(nil).
		bytes(1, node("Conv", []string{"images", "W"}, []string{"c"}, map[string][]int64{"kernel_shape": {1, 1}})).
		bytes(1, node("Transpose", []string{"c"}, []string{"t"}, map[string][]int64{"perm": {0, 2, 3, 1}})).
		bytes(1, node("Reshape", []string{"t", "shape"}, []string{"output"}, nil)).
		bytes(5, tensor("W", []int64{8, 3, 1, 1}, w, nil)).
		bytes(5, tensor("shape", []int64{3}, nil, []int64{1, 64, 8})).
		bytes(11, valueInfo("images", 1, 3, 8, 8)).
		bytes(12, valueInfo("output", 1, 64, 8))
	path := writeFile(t, "overflow.onnx", pb(nil).int(1, 7).bytes(7, g).bytes(8, pb(nil).str(1, "").int(2, 10)))
	d, err := NewDNN(DNNConfig{Name: "overflow", Model: path, SHA256: fileSHA(t, path), Classes: testClasses,
		Format: FormatYOLOv5, InputWidth: 8, InputHeight: 8, Engine: EngineXNNPACK})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	white := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(255, 255, 255, 0), 8, 8, gocv.MatTypeCV8UC3)
	defer white.Close()
	black := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(0, 0, 0, 0), 8, 8, gocv.MatTypeCV8UC3)
	defer black.Close()
	if _, err := d.Infer(white); !errors.Is(err, ErrBadOutput) || !strings.Contains(err.Error(), "Inf") {
		t.Fatalf("white picture: %v, want ErrBadOutput naming the infinite value", err)
	}
	if dets, err := d.Infer(black); err != nil || len(dets) != 0 {
		t.Fatalf("black picture after the bad one: %v, %v; want no detections, no error", dets, err)
	}
}

// A graph whose declared input is huge or whose tensors would be is
// refused before any buffer is made.
func TestXNNPACKRefusesHugeGraphs(t *testing.T) {
	g, err := parseModel(tinyNet(nil))
	if err != nil {
		t.Fatal(err)
	}
	g.inputs[0].shape = []int{1, 3, 9, 4097}
	if _, err := translateONNX(g); err == nil || !strings.Contains(err.Error(), "at most 4096") {
		t.Errorf("input 9×4097: %v", err)
	}
	// 4096 × 4096 is allowed, but not 64 maps of 2048 × 2048 after it.
	g.inputs[0].shape = []int{1, 3, 4096, 4096}
	g.inits["W1"] = &onnxTensor{dims: []int{64, 3, 3, 3}, f: make([]float32, 64*27)}
	g.inits["B1"] = &onnxTensor{dims: []int{64}, f: make([]float32, 64)}
	if _, err := translateONNX(g); err == nil || !strings.Contains(err.Error(), `node "Conv_c1" (Conv): output [1 64 2048 2048] is too large`) {
		t.Errorf("64 × 2048 × 2048: %v", err)
	}
}
