package detect

import (
	"encoding/binary"
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// parseTensor reads a TensorProto: name, dims and float32 or int64 data
// (raw, or the typed repeated fields), checking that the data fills the
// dims.
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
