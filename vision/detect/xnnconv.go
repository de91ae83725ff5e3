package detect

import (
	"fmt"
	"math"
)

// conv translates Conv: NCHW weights O×I×kH×kW to XNNPACK's
// O·kH·kW·I, groups (depthwise when each group has one channel), pads,
// strides and dilations.
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
