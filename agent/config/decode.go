package config

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/pantau/pantau/devices/urlcred"
)

// decoder walks a YAML node tree alongside a Go value, so that every error
// names its key path (cameras[0].lines[1].points) rather than a line
// number, unknown keys are errors, and decoding carries on after an error
// to report them all.
type decoder struct {
	errs Errors
}

var (
	durationType = reflect.TypeOf(time.Duration(0))
	pointType    = reflect.TypeOf(Point{})
	bytesType    = reflect.TypeOf(Bytes(0))
)

func (d *decoder) fail(path, format string, args ...any) {
	d.errs = append(d.errs, &FieldError{Key: path, Msg: fmt.Sprintf(format, args...)})
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// decode sets v from n. A null node leaves v as it is.
func (d *decoder) decode(path string, n *yaml.Node, v reflect.Value) {
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return
	}
	switch v.Type() {
	case durationType:
		d.duration(path, n, v)
		return
	case pointType:
		d.point(path, n, v)
		return
	case bytesType:
		d.bytes(path, n, v)
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		nv := reflect.New(v.Type().Elem())
		d.decode(path, n, nv.Elem())
		v.Set(nv)
	case reflect.Struct:
		d.structure(path, n, v)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.fail(path, "want a list, got %s", describe(n))
			return
		}
		if len(n.Content) == 0 {
			// An empty list is the same as an omitted one.
			v.Set(reflect.Zero(v.Type()))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			d.decode(fmt.Sprintf("%s[%d]", path, i), item, s.Index(i))
		}
		v.Set(s)
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.fail(path, "want a string, got %s", describe(n))
			return
		}
		v.SetString(n.Value)
	case reflect.Bool:
		b, err := strconv.ParseBool(n.Value)
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" || err != nil {
			d.fail(path, "want true or false, got %s", describe(n))
			return
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int64:
		i, err := strconv.ParseInt(n.Value, 0, 64)
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || err != nil {
			d.fail(path, "want an integer, got %s", describe(n))
			return
		}
		v.SetInt(i)
	case reflect.Float64:
		f, ok := number(n)
		if !ok {
			d.fail(path, "want a number, got %s", describe(n))
			return
		}
		v.SetFloat(f)
	default:
		// A programming error: a field type this decoder does not know.
		d.fail(path, "cannot decode into %s", v.Type())
	}
}

func (d *decoder) structure(path string, n *yaml.Node, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		d.fail(path, "want a mapping of keys, got %s", describe(n))
		return
	}
	fields := fieldsByKey(v.Type())
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		key := join(path, k.Value)
		if k.Value == "<<" {
			d.fail(key, "merge keys are not supported")
			continue
		}
		idx, ok := fields[k.Value]
		if !ok {
			d.fail(key, "unknown key%s", suggest(k.Value, fields))
			continue
		}
		if seen[k.Value] {
			d.fail(key, "key given twice")
			continue
		}
		seen[k.Value] = true
		d.decode(key, val, v.Field(idx))
	}
}

// fieldsByKey maps YAML keys to field indexes.
func fieldsByKey(t reflect.Type) map[string]int {
	m := make(map[string]int, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name != "" && name != "-" {
			m[name] = i
		}
	}
	return m
}

// suggest names a known key that differs from key by case or '-' vs '_'.
func suggest(key string, fields map[string]int) string {
	norm := strings.ReplaceAll(strings.ToLower(key), "-", "_")
	for k := range fields {
		if k == norm {
			return fmt.Sprintf(" (did you mean %q?)", k)
		}
	}
	return ""
}

func (d *decoder) duration(path string, n *yaml.Node, v reflect.Value) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!int" && n.Value == "0" {
		v.SetInt(0)
		return
	}
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
		d.fail(path, "want a duration such as \"10s\" or \"5m\", got %s", describe(n))
		return
	}
	dur, err := time.ParseDuration(n.Value)
	if err != nil {
		d.fail(path, "want a duration such as \"10s\" or \"5m\", got %q", n.Value)
		return
	}
	if dur < 0 {
		d.fail(path, "must not be negative, got %s", n.Value)
		return
	}
	v.SetInt(int64(dur))
}

func (d *decoder) point(path string, n *yaml.Node, v reflect.Value) {
	if n.Kind != yaml.SequenceNode || len(n.Content) != 2 {
		d.fail(path, "want a point [x, y], got %s", describe(n))
		return
	}
	x, okx := number(n.Content[0])
	y, oky := number(n.Content[1])
	if !okx || !oky {
		d.fail(path, "want a point [x, y] of numbers, got %s", describe(n))
		return
	}
	v.Set(reflect.ValueOf(Point{X: x, Y: y}))
}

func (d *decoder) bytes(path string, n *yaml.Node, v reflect.Value) {
	if n.Kind != yaml.ScalarNode {
		d.fail(path, "want a size such as 268435456 or \"256MiB\", got %s", describe(n))
		return
	}
	b, err := ParseBytes(n.Value)
	if err != nil {
		d.fail(path, "%v", err)
		return
	}
	v.SetInt(int64(b))
}

// ParseBytes parses a size: an integer number of bytes, or a number with a
// unit B, KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of
// 1024).
func ParseBytes(s string) (Bytes, error) {
	t := strings.TrimSpace(s)
	i := strings.IndexFunc(t, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	num, unit := t, ""
	if i >= 0 {
		num, unit = t[:i], strings.TrimSpace(t[i:])
	}
	mult := map[string]float64{"": 1, "B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
		"KIB": 1 << 10, "MIB": 1 << 20, "GIB": 1 << 30, "TIB": 1 << 40}[strings.ToUpper(unit)]
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || mult == 0 || f < 0 || f*mult > math.MaxInt64 {
		return 0, fmt.Errorf("want a size such as 268435456 or \"256MiB\", got %q", s)
	}
	return Bytes(f * mult), nil
}

// number reads a scalar int or float node.
func number(n *yaml.Node) (float64, bool) {
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") {
		return 0, false
	}
	f, err := strconv.ParseFloat(n.Value, 64)
	if err != nil {
		i, err := strconv.ParseInt(n.Value, 0, 64)
		return float64(i), err == nil
	}
	return f, !math.IsNaN(f) && !math.IsInf(f, 0)
}

// describe says what a node is, for error messages. Scalars are quoted;
// they never come from credential keys because those are strings and
// strings accept any scalar, but a URL misplaced under another key may
// carry a password, so its credentials are masked.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return fmt.Sprintf("a list of %d", len(n.Content))
	case yaml.ScalarNode:
		v := urlcred.Redact(n.Value) // the whole scalar: its user info up to the last @
		if len(v) > 40 {
			v = v[:40] + "…"
		}
		return strconv.Quote(v)
	}
	return "nothing"
}
