package detect

import (
	"math"
	"testing"
)

// A plain evaluation of an ONNX graph in Go, NCHW and written for
// clarity, not speed: the reference the XNNPACK translation is checked
// against on small graphs.

type refTensor struct {
	shape []int
	v     []float32
}

// refEval runs g on the NCHW input in and returns every tensor by name.
func refEval(t *testing.T, g *onnxGraph, in []float32) map[string][]float32 {
	t.Helper()
	vals := map[string]refTensor{g.inputs[0].name: {g.inputs[0].shape, in}}
	get := func(name string) refTensor {
		if v, ok := vals[name]; ok {
			return v
		}
		c := g.inits[name]
		if c == nil {
			t.Fatalf("reference: no tensor %q", name)
		}
		if c.i != nil {
			f := make([]float32, len(c.i))
			for i, x := range c.i {
				f[i] = float32(x)
			}
			return refTensor{c.dims, f}
		}
		return refTensor{c.dims, c.f}
	}
	for _, n := range g.nodes {
		x := get(n.inputs[0])
		var out refTensor
		switch n.op {
		case "Conv":
			var b []float32
			if len(n.inputs) > 2 {
				b = get(n.inputs[2]).v
			}
			out = refConv(n, x, get(n.inputs[1]), b)
		case "Clip", "Relu":
			lo, hi := float32(0), float32(math.Inf(1))
			if n.op == "Clip" {
				lo, hi = n.attrs["min"].f, n.attrs["max"].f
			}
			out = refTensor{x.shape, make([]float32, len(x.v))}
			for i, v := range x.v {
				out.v[i] = min(max(v, lo), hi)
			}
		case "Sigmoid":
			out = refTensor{x.shape, make([]float32, len(x.v))}
			for i, v := range x.v {
				out.v[i] = float32(1 / (1 + math.Exp(-float64(v))))
			}
		case "Add":
			out = refAdd(x, get(n.inputs[1]))
		case "Transpose":
			out = refTranspose(x, attrInts(n, "perm"))
		case "Reshape":
			s := get(n.inputs[1]).v
			shape, known, infer := make([]int, len(s)), 1, -1
			for i, d := range s {
				if d == -1 {
					infer = i
					continue
				}
				shape[i] = int(d)
				known *= shape[i]
			}
			if infer >= 0 {
				shape[infer] = len(x.v) / known
			}
			out = refTensor{shape, x.v}
		case "Concat": // along an axis with ones before it
			shape := append([]int(nil), x.shape...)
			axis := int(attrInt(n, "axis", 0))
			shape[axis] = 0
			for _, name := range n.inputs {
				p := get(name)
				shape[axis] += p.shape[axis]
				out.v = append(out.v, p.v...)
			}
			out.shape = shape
		default:
			t.Fatalf("reference: no %s", n.op)
		}
		vals[n.outputs[0]] = out
	}
	res := map[string][]float32{}
	for k, v := range vals {
		res[k] = v.v
	}
	return res
}

func refConv(n onnxNode, x, w refTensor, b []float32) refTensor {
	groups := int(attrInt(n, "group", 1))
	st, dl, pd := attrInts(n, "strides", 1, 1), attrInts(n, "dilations", 1, 1), attrInts(n, "pads", 0, 0, 0, 0)
	h, wd := x.shape[2], x.shape[3]
	o, gic, kh, kw := w.shape[0], w.shape[1], w.shape[2], w.shape[3]
	oh := (h+pd[0]+pd[2]-dl[0]*(kh-1)-1)/st[0] + 1
	ow := (wd+pd[1]+pd[3]-dl[1]*(kw-1)-1)/st[1] + 1
	out := refTensor{[]int{1, o, oh, ow}, make([]float32, o*oh*ow)}
	goc := o / groups
	for oc := range o {
		g := oc / goc
		for y := range oh {
			for xx := range ow {
				var s float64
				if b != nil {
					s = float64(b[oc])
				}
				for ic := range gic {
					for ky := range kh {
						for kx := range kw {
							iy, ix := y*st[0]-pd[0]+ky*dl[0], xx*st[1]-pd[1]+kx*dl[1]
							if iy < 0 || iy >= h || ix < 0 || ix >= wd {
								continue
							}
							s += float64(w.v[((oc*gic+ic)*kh+ky)*kw+kx]) * float64(x.v[((g*gic+ic)*h+iy)*wd+ix])
						}
					}
				}
				out.v[(oc*oh+y)*ow+xx] = float32(s)
			}
		}
	}
	return out
}

// refAdd adds with NumPy broadcasting over 4-D shapes (b may be smaller).
func refAdd(a, b refTensor) refTensor {
	if len(b.v) > len(a.v) {
		a, b = b, a
	}
	as, bs := pad4(a.shape), pad4(b.shape)
	out := refTensor{a.shape, make([]float32, len(a.v))}
	i := 0
	for n := range as[0] {
		for c := range as[1] {
			for y := range as[2] {
				for x := range as[3] {
					k := (((n%bs[0])*bs[1]+c%bs[1])*bs[2]+y%bs[2])*bs[3] + x%bs[3]
					out.v[i] = a.v[i] + b.v[k]
					i++
				}
			}
		}
	}
	return out
}

func pad4(s []int) [4]int {
	r := [4]int{1, 1, 1, 1}
	copy(r[4-len(s):], s)
	return r
}

// refTranspose permutes a 4-D tensor.
func refTranspose(x refTensor, perm []int) refTensor {
	s := x.shape
	shape := []int{s[perm[0]], s[perm[1]], s[perm[2]], s[perm[3]]}
	out := refTensor{shape, make([]float32, len(x.v))}
	var idx [4]int
	for i := range x.v {
		r := i
		for d := 3; d >= 0; d-- {
			idx[d] = r % s[d]
			r /= s[d]
		}
		o := 0
		for d := range 4 {
			o = o*shape[d] + idx[perm[d]]
		}
		out.v[o] = x.v[i]
	}
	return out
}
