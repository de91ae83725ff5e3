package detect

import (
	"encoding/binary"
	"math"
)

// A tiny ONNX writer for test models: protobuf by hand, just the fields
// OpenCV's importer reads (onnx.proto3 field numbers).

type pb []byte

func (b pb) tag(field, wire int) pb { return binary.AppendUvarint(b, uint64(field<<3|wire)) }
func (b pb) int(field int, v int64) pb {
	return binary.AppendUvarint(b.tag(field, 0), uint64(v))
}
func (b pb) bytes(field int, v []byte) pb {
	b = binary.AppendUvarint(b.tag(field, 2), uint64(len(v)))
	return append(b, v...)
}
func (b pb) str(field int, s string) pb { return b.bytes(field, []byte(s)) }

// tensor is a TensorProto: float (type 1) or int64 (type 7) raw data.
func tensor(name string, dims []int64, f []float32, i []int64) pb {
	var t pb
	for _, d := range dims {
		t = t.int(1, d)
	}
	var raw []byte
	if f != nil {
		t = t.int(2, 1)
		for _, v := range f {
			raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(v))
		}
	} else {
		t = t.int(2, 7)
		for _, v := range i {
			raw = binary.LittleEndian.AppendUint64(raw, uint64(v))
		}
	}
	return t.str(8, name).bytes(9, raw)
}

// valueInfo is a float tensor's name and shape.
func valueInfo(name string, dims ...int64) pb {
	var shape pb
	for _, d := range dims {
		shape = shape.bytes(1, pb(nil).int(1, d))
	}
	tt := pb(nil).int(1, 1).bytes(2, shape)
	return pb(nil).str(1, name).bytes(2, pb(nil).bytes(1, tt))
}

// node is a NodeProto; ints are INTS attributes.
func node(op string, in, out []string, ints map[string][]int64) pb {
	var n pb
	for _, s := range in {
		n = n.str(1, s)
	}
	for _, s := range out {
		n = n.str(2, s)
	}
	n = n.str(3, op+"_"+out[0]).str(4, op)
	for k, vs := range ints {
		a := pb(nil).str(1, k)
		for _, v := range vs {
			a = a.int(8, v)
		}
		n = n.bytes(5, a.int(20, 7))
	}
	return n
}

// headModel is a detection "network" small enough to write by hand:
// images [1,3,S,S] → GlobalAveragePool → 1×1 Conv (weights w [K×3], bias
// b [K]) → Reshape to outShape. Each output value is thus an affine
// function of the mean R, G and B of the (pre-processed) input, so a test
// can predict every score and box exactly.
func headModel(size int64, w [][3]float32, b []float32, outShape []int64) []byte {
	k := int64(len(b))
	var wf []float32
	for _, r := range w {
		wf = append(wf, r[:]...)
	}
	g := pb(nil).
		bytes(1, node("GlobalAveragePool", []string{"images"}, []string{"pooled"}, nil)).
		bytes(1, node("Conv", []string{"pooled", "W", "B"}, []string{"head"}, map[string][]int64{"kernel_shape": {1, 1}})).
		bytes(1, node("Reshape", []string{"head", "shape"}, []string{"output"}, nil)).
		str(2, "pantau-test-head").
		bytes(5, tensor("W", []int64{k, 3, 1, 1}, wf, nil)).
		bytes(5, tensor("B", []int64{k}, b, nil)).
		bytes(5, tensor("shape", []int64{int64(len(outShape))}, nil, outShape)).
		bytes(11, valueInfo("images", 1, 3, size, size)).
		bytes(12, valueInfo("output", outShape...))
	return pb(nil).int(1, 7).str(2, "pantau").bytes(7, g).bytes(8, pb(nil).str(1, "").int(2, 11))
}
