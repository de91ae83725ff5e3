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
