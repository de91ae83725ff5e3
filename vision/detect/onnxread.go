package detect

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"

	"google.golang.org/protobuf/encoding/protowire"
)

// A reader for the part of an ONNX file the XNNPACK engine translates:
// the graph's nodes, its initializers (weights) and its inputs and
// outputs. Field numbers are those of onnx.proto. Anything malformed is an
// error naming what was wrong; the reader never panics on a damaged file.

// onnxGraph is the graph of an ONNX model.
type onnxGraph struct {
	nodes   []onnxNode
	inits   map[string]*onnxTensor
	inputs  []onnxValue // graph inputs that are not initializers
	outputs []onnxValue
}

// onnxNode is one NodeProto.
type onnxNode struct {
	name, op string
	inputs   []string
	outputs  []string
	attrs    map[string]onnxAttr
}

// onnxAttr is one AttributeProto of the kinds the engine reads.
type onnxAttr struct {
	i      int64
	f      float32
	ints   []int64
	floats []float32
}

// onnxTensor is an initializer: float32 or int64 data.
type onnxTensor struct {
	dims []int
	f    []float32
	i    []int64
}

// onnxValue is a graph input or output: a name and a shape (0 where the
// file names a symbolic dimension).
type onnxValue struct {
	name  string
	shape []int
}

// ONNX TensorProto data types read here.
const (
	onnxFloat = 1
	onnxInt64 = 7
)

// maxONNXDims bounds tensor ranks and dimensions so a damaged file cannot
// ask for absurd allocations.
const (
	maxONNXDims = 8
	maxONNXElem = 1 << 28
)

// readONNX reads the graph of the ONNX model at path.
func readONNX(path string) (*onnxGraph, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	g, err := parseModel(b)
	if err != nil {
		return nil, fmt.Errorf("onnx: %s: %w", path, err)
	}
	return g, nil
}

// fields calls f for every field of the protobuf message b.
func fields(b []byte, f func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return fmt.Errorf("bad protobuf tag: %w", protowire.ParseError(n))
		}
		b = b[n:]
		var v []byte
		var x uint64
		switch typ {
		case protowire.VarintType:
			x, n = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			var u uint32
			u, n = protowire.ConsumeFixed32(b)
			x = uint64(u)
		case protowire.Fixed64Type:
			x, n = protowire.ConsumeFixed64(b)
		case protowire.BytesType:
			v, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return fmt.Errorf("field %d: %w", num, protowire.ParseError(n))
		}
		b = b[n:]
		if err := f(num, typ, v, x); err != nil {
			return err
		}
	}
	return nil
}

func parseModel(b []byte) (*onnxGraph, error) {
	var graph []byte
	err := fields(b, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		if num == 7 && typ == protowire.BytesType { // ModelProto.graph
			graph = v
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if graph == nil {
		return nil, fmt.Errorf("no graph (not an ONNX model?)")
	}
	g := &onnxGraph{inits: map[string]*onnxTensor{}}
	var inputs []onnxValue
	err = fields(graph, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case 1:
			n, err := parseNode(v)
			if err != nil {
				return fmt.Errorf("node %d: %w", len(g.nodes), err)
			}
			g.nodes = append(g.nodes, n)
		case 5:
			name, t, err := parseTensor(v)
			if err != nil {
				return fmt.Errorf("initializer %q: %w", name, err)
			}
			g.inits[name] = t
		case 11, 12:
			val, err := parseValueInfo(v)
			if err != nil {
				return err
			}
			if num == 11 {
				inputs = append(inputs, val)
			} else {
				g.outputs = append(g.outputs, val)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, in := range inputs {
		if g.inits[in.name] == nil { // old files list weights as inputs too
			g.inputs = append(g.inputs, in)
		}
	}
	if len(g.nodes) == 0 {
		return nil, fmt.Errorf("the graph has no nodes")
	}
	return g, nil
}

func parseNode(b []byte) (onnxNode, error) {
	n := onnxNode{attrs: map[string]onnxAttr{}}
	err := fields(b, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case 1:
			n.inputs = append(n.inputs, string(v))
		case 2:
			n.outputs = append(n.outputs, string(v))
		case 3:
			n.name = string(v)
		case 4:
			n.op = string(v)
		case 5:
			name, a, err := parseAttr(v)
			if err != nil {
				return fmt.Errorf("attribute %q: %w", name, err)
			}
			n.attrs[name] = a
		}
		return nil
	})
	if n.name == "" && len(n.outputs) > 0 {
		n.name = n.outputs[0]
	}
	return n, err
}

func parseAttr(b []byte) (string, onnxAttr, error) {
	var name string
	var a onnxAttr
	err := fields(b, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		switch {
		case num == 1 && typ == protowire.BytesType:
			name = string(v)
		case num == 2 && typ == protowire.Fixed32Type:
			a.f = math.Float32frombits(uint32(x))
		case num == 3 && typ == protowire.VarintType:
			a.i = int64(x)
		case num == 7 && typ == protowire.Fixed32Type:
			a.floats = append(a.floats, math.Float32frombits(uint32(x)))
		case num == 7 && typ == protowire.BytesType: // packed
			if len(v)%4 != 0 {
				return fmt.Errorf("floats: %d bytes", len(v))
			}
			for i := 0; i < len(v); i += 4 {
				a.floats = append(a.floats, math.Float32frombits(binary.LittleEndian.Uint32(v[i:])))
			}
		case num == 8 && typ == protowire.VarintType:
			a.ints = append(a.ints, int64(x))
		case num == 8 && typ == protowire.BytesType: // packed
			for len(v) > 0 {
				u, n := protowire.ConsumeVarint(v)
				if n < 0 {
					return fmt.Errorf("ints: %w", protowire.ParseError(n))
				}
				a.ints, v = append(a.ints, int64(u)), v[n:]
			}
		}
		return nil
	})
	return name, a, err
}

func parseTensor(b []byte) (string, *onnxTensor, error) {
	var name string
	var dt int64
	var raw, packedF, packedI []byte
	t := &onnxTensor{}
	err := fields(b, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		switch {
		case num == 1 && typ == protowire.VarintType:
			if int64(x) < 0 || x > maxONNXElem || len(t.dims) == maxONNXDims {
				return fmt.Errorf("dims: bad dimension %d", int64(x))
			}
			t.dims = append(t.dims, int(x))
		case num == 2 && typ == protowire.VarintType:
			dt = int64(x)
		case num == 4 && typ == protowire.BytesType:
			packedF = v
		case num == 7 && typ == protowire.BytesType:
			packedI = v
		case num == 8 && typ == protowire.BytesType:
			name = string(v)
		case num == 9 && typ == protowire.BytesType:
			raw = v
		case num == 14 && typ == protowire.VarintType && x != 0:
			return fmt.Errorf("external data is not supported")
		}
		return nil
	})
	if err != nil {
		return name, nil, err
	}
	n := 1
	for _, d := range t.dims {
		n *= d
		if n > maxONNXElem {
			return name, nil, fmt.Errorf("dims %v: too large", t.dims)
		}
	}
	switch dt {
	case onnxFloat:
		if raw == nil {
			raw = packedF
		}
		if len(raw) != 4*n {
			return name, nil, fmt.Errorf("dims %v need %d float32, the data has %d bytes", t.dims, n, len(raw))
		}
		t.f = make([]float32, n)
		for i := range t.f {
			t.f[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
	case onnxInt64:
		if raw != nil {
			if len(raw) != 8*n {
				return name, nil, fmt.Errorf("dims %v need %d int64, the data has %d bytes", t.dims, n, len(raw))
			}
			for i := 0; i < n; i++ {
				t.i = append(t.i, int64(binary.LittleEndian.Uint64(raw[8*i:])))
			}
			break
		}
		for v := packedI; len(v) > 0; {
			u, k := protowire.ConsumeVarint(v)
			if k < 0 {
				return name, nil, fmt.Errorf("int64_data: %w", protowire.ParseError(k))
			}
			t.i, v = append(t.i, int64(u)), v[k:]
		}
		if len(t.i) != n {
			return name, nil, fmt.Errorf("dims %v need %d int64, the data has %d", t.dims, n, len(t.i))
		}
	default:
		return name, nil, fmt.Errorf("data type %d is not float32 or int64", dt)
	}
	return name, t, nil
}

// parseValueInfo reads a ValueInfoProto: name and tensor shape.
func parseValueInfo(b []byte) (onnxValue, error) {
	var val onnxValue
	var typ []byte
	err := fields(b, func(num protowire.Number, wt protowire.Type, v []byte, _ uint64) error {
		if wt == protowire.BytesType && num == 1 {
			val.name = string(v)
		} else if wt == protowire.BytesType && num == 2 {
			typ = v
		}
		return nil
	})
	if err != nil || typ == nil {
		return val, err
	}
	// TypeProto.tensor_type(1) → shape(2) → dim(1) → dim_value(1).
	var shape []byte
	err = fields(typ, func(num protowire.Number, wt protowire.Type, v []byte, _ uint64) error {
		if num == 1 && wt == protowire.BytesType {
			return fields(v, func(num protowire.Number, wt protowire.Type, v []byte, _ uint64) error {
				if num == 2 && wt == protowire.BytesType {
					shape = v
				}
				return nil
			})
		}
		return nil
	})
	if err != nil {
		return val, fmt.Errorf("value %q: %w", val.name, err)
	}
	err = fields(shape, func(num protowire.Number, wt protowire.Type, v []byte, _ uint64) error {
		if num != 1 || wt != protowire.BytesType {
			return nil
		}
		d := 0
		err := fields(v, func(num protowire.Number, wt protowire.Type, _ []byte, x uint64) error {
			if num == 1 && wt == protowire.VarintType {
				if int64(x) < 0 || x > maxONNXElem {
					return fmt.Errorf("bad dimension %d", int64(x))
				}
				d = int(x)
			}
			return nil
		})
		val.shape = append(val.shape, d)
		return err
	})
	if err != nil {
		return val, fmt.Errorf("value %q: %w", val.name, err)
	}
	return val, nil
}
