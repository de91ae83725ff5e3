#!/usr/bin/env python3
"""Run the cut TF.js SSD graph in plain numpy: the converter's reference.

  tfjsref.py MODEL.json INPUT.f32 OUT.f32 [I,J,...]

It executes the TF.js nodes that tfjs2onnx.py converts, straight from the
graph (NHWC, TensorFlow's SAME padding, batch norms not folded), without
any of the ONNX code, so the tests can compare it with OpenCV's output of
the converted model on the same input. INPUT.f32 is a 1x3xSxS float32 blob
(RGB, scaled to [-1, 1]); OUT.f32 gets N*4 box encodings then N*C scores,
little-endian float32. With I,J,... only the scores of those class indices
are written, in that order (the classes tfjs2onnx.py --classes kept).
"""

import sys

import numpy as np

from tfjs2onnx import BOXES_NODE, INPUT_NODE, SCORES_NODE, Graph, conv_geometry, static_ints, write_atomic

def ref_conv(x, k, n, g, depthwise):
    """NHWC convolution with TF's SAME/VALID padding, in float32 numpy."""
    s, d, pads, out = conv_geometry(g, n, x.shape, k.shape)
    xp = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))
    kh, kw = k.shape[:2]
    acc = None
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, i * d[0]: i * d[0] + (out[0] - 1) * s[0] + 1: s[0],
                       j * d[1]: j * d[1] + (out[1] - 1) * s[1] + 1: s[1], :]
            if depthwise:
                t = patch * k[i, j, :, 0]
            else:
                t = patch @ k[i, j]
            acc = t if acc is None else acc + t
    return acc.astype(np.float32)


def reference(model_json, in_blob, out_path, size=300, keep=None):
    g = Graph(model_json)
    x = np.fromfile(in_blob, "<f4")
    if x.size != 3 * size * size:
        sys.exit("tfjs2onnx: %s: want %d floats, got %d" % (in_blob, 3 * size * size, x.size))
    vals = {INPUT_NODE: x.reshape(1, 3, size, size).transpose(0, 2, 3, 1)}
    shapes = {INPUT_NODE: [1, size, size, 3]}

    def v(ref):
        name = ref.split(":")[0]
        return vals[name] if name in vals else np.asarray(g.const(name), np.float32)

    for n in g.cut():
        op, name, ins = n["op"], n["name"], n.get("input", [])
        if op in ("Const", "Shape", "StridedSlice", "Pack"):
            continue
        if op == "Conv2D":
            r = ref_conv(v(ins[0]), v(ins[1]), n, g, False)
        elif op == "DepthwiseConv2dNative":
            r = ref_conv(v(ins[0]), v(ins[1]), n, g, True)
        elif op in ("Add", "AddV2", "BiasAdd"):
            r = v(ins[0]) + v(ins[1])
        elif op == "AddN":
            r = sum(v(i) for i in ins[1:]) + v(ins[0])
        elif op == "Mul":
            r = v(ins[0]) * v(ins[1])
        elif op == "FusedBatchNorm":
            xx, gamma, beta, mean, var = (v(i) for i in ins[:5])
            r = (xx - mean) / np.sqrt(var + np.float32(n["attr"]["epsilon"]["f"])) * gamma + beta
        elif op == "Relu6":
            r = np.clip(v(ins[0]), 0, 6)
        elif op == "Sigmoid":
            r = 1 / (1 + np.exp(-v(ins[0])))
        elif op == "Reshape":
            r = v(ins[0]).reshape(static_ints(g, ins[1], shapes))
        elif op == "Squeeze":
            r = np.squeeze(v(ins[0]), tuple(g.attr_ints(n, "squeeze_dims")))
        elif op == "ConcatV2":
            r = np.concatenate([v(i) for i in ins[:-1]], int(g.const(ins[-1])))
        else:
            sys.exit("tfjs2onnx: reference: op %s not supported" % op)
        vals[name] = r.astype(np.float32)
        shapes[name] = list(r.shape)
    scores = vals[SCORES_NODE]
    if keep is not None:
        scores = scores[..., keep]
    out = np.concatenate([vals[BOXES_NODE].reshape(-1), scores.reshape(-1)])
    write_atomic(out_path, out.astype("<f4").tobytes())



if __name__ == "__main__":
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    keep = [int(c) for c in sys.argv[4].split(",")] if len(sys.argv) == 5 else None
    reference(sys.argv[1], sys.argv[2], sys.argv[3], keep=keep)
