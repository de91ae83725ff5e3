package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"

	"gopkg.in/yaml.v3"
)

// Rules is a camera's lines, zones and motion masks in the config's own
// keys, geometry normalised (points as [[x, y], …]).
type Rules struct {
	Lines []map[string]any `json:"lines"`
	Zones []map[string]any `json:"zones"`
	Masks []Mask           `json:"masks"`
}

// Mask is one motion mask polygon. The config holds masks as bare
// polygons (motion.masks); Name is only a label in the UI.
type Mask struct {
	Name   string      `json:"name,omitempty"`
	Points [][]float64 `json:"points"`
}

// doc is a config file parsed as YAML nodes, so an edit keeps every
// comment and the order of keys.
type doc struct {
	raw  []byte
	root yaml.Node
	etag string
}

var errNoCamera = errors.New("camera not in the config file")

func readDoc(path string) (*doc, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	d := &doc{raw: b, etag: etagOf(b)}
	if err := yaml.Unmarshal(b, &d.root); err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	if len(d.root.Content) == 0 || d.root.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("config file: not a mapping")
	}
	return d, nil
}

func etagOf(b []byte) string {
	s := sha256.Sum256(b)
	return `"` + hex.EncodeToString(s[:12]) + `"`
}

// lookup returns the value node of key in mapping m, or nil.
func lookup(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// set replaces key's value in mapping m, or appends the key; a nil value
// removes the key.
func set(m *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			if v == nil {
				m.Content = append(m.Content[:i], m.Content[i+2:]...)
				return
			}
			// Keep a comment written after the key on the new value.
			v.LineComment = m.Content[i+1].LineComment
			m.Content[i+1] = v
			return
		}
	}
	if v != nil {
		m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v)
	}
}

// cameras returns the cameras sequence node, making it if asked.
func (d *doc) cameras(create bool) *yaml.Node {
	top := d.root.Content[0]
	seq := lookup(top, "cameras")
	if (seq == nil || seq.Kind != yaml.SequenceNode) && create {
		seq = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		set(top, "cameras", seq)
	}
	return seq
}

// camera returns the mapping of the camera called name.
func (d *doc) camera(name string) (*yaml.Node, error) {
	seq := d.cameras(false)
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return nil, errNoCamera
	}
	for _, c := range seq.Content {
		if n := lookup(c, "name"); n != nil && n.Value == name {
			return c, nil
		}
	}
	return nil, errNoCamera
}

// rules reads a camera's rules from its own keys.
func rulesOf(cam *yaml.Node) (Rules, error) {
	r := Rules{Lines: []map[string]any{}, Zones: []map[string]any{}, Masks: []Mask{}}
	if n := lookup(cam, "lines"); n != nil {
		if err := n.Decode(&r.Lines); err != nil {
			return r, fmt.Errorf("lines: %w", err)
		}
	}
	if n := lookup(cam, "zones"); n != nil {
		if err := n.Decode(&r.Zones); err != nil {
			return r, fmt.Errorf("zones: %w", err)
		}
	}
	if n := lookup(lookup(cam, "motion"), "masks"); n != nil {
		var ps [][][]float64
		if err := n.Decode(&ps); err != nil {
			return r, fmt.Errorf("motion.masks: %w", err)
		}
		for i, p := range ps {
			r.Masks = append(r.Masks, Mask{Name: fmt.Sprintf("mask-%d", i+1), Points: p})
		}
	}
	if r.Lines == nil {
		r.Lines = []map[string]any{}
	}
	if r.Zones == nil {
		r.Zones = []map[string]any{}
	}
	return r, nil
}

// setRules writes r into the camera's mapping. A rule that keeps its name
// keeps the order of its keys; new keys follow name and points.
func setRules(cam *yaml.Node, r Rules) error {
	for _, part := range []struct {
		key   string
		rules []map[string]any
	}{{"lines", r.Lines}, {"zones", r.Zones}} {
		old := lookup(cam, part.key)
		if len(part.rules) == 0 {
			set(cam, part.key, nil)
			continue
		}
		seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, rule := range part.rules {
			n, err := ruleNode(rule, oldRule(old, rule["name"]))
			if err != nil {
				return fmt.Errorf("%s: %w", part.key, err)
			}
			seq.Content = append(seq.Content, n)
		}
		set(cam, part.key, seq)
	}
	motion := lookup(cam, "motion")
	if len(r.Masks) == 0 {
		if motion != nil && motion.Kind == yaml.MappingNode {
			set(motion, "masks", nil)
			if len(motion.Content) == 0 {
				set(cam, "motion", nil) // it held only the masks
			}
		}
		return nil
	}
	if motion == nil || motion.Kind != yaml.MappingNode {
		motion = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		set(cam, "motion", motion)
	}
	seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	for _, m := range r.Masks {
		p, err := pointsNode(m.Points)
		if err != nil {
			return err
		}
		seq.Content = append(seq.Content, p)
	}
	set(motion, "masks", seq)
	return nil
}

func oldRule(seq *yaml.Node, name any) *yaml.Node {
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return nil
	}
	s, _ := name.(string)
	for _, n := range seq.Content {
		if v := lookup(n, "name"); v != nil && v.Value == s {
			return n
		}
	}
	return nil
}

// ruleNode encodes one rule. Keys come in the old node's order, then
// name, points, and the rest sorted. Points are written in flow style
// rounded to 4 decimals (0.1 px at 1000 px).
func ruleNode(rule map[string]any, old *yaml.Node) (*yaml.Node, error) {
	var order []string
	seen := map[string]bool{}
	add := func(k string) {
		if _, ok := rule[k]; ok && !seen[k] {
			seen[k] = true
			order = append(order, k)
		}
	}
	if old != nil {
		for i := 0; i+1 < len(old.Content); i += 2 {
			add(old.Content[i].Value)
		}
	}
	add("name")
	add("points")
	rest := make([]string, 0, len(rule))
	for k := range rule {
		rest = append(rest, k)
	}
	sort.Strings(rest)
	for _, k := range rest {
		add(k)
	}
	m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for _, k := range order {
		var v *yaml.Node
		if k == "points" {
			pts, err := toPoints(rule[k])
			if err != nil {
				return nil, fmt.Errorf("points: %w", err)
			}
			if v, err = pointsNode(pts); err != nil {
				return nil, err
			}
		} else {
			v = &yaml.Node{}
			if err := v.Encode(rule[k]); err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			if v.Kind == yaml.SequenceNode {
				v.Style = yaml.FlowStyle
			}
		}
		kn := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k}
		if old != nil {
			// The rule's comments stay with its keys.
			if ok, ov := oldPair(old, k); ok != nil {
				kn.HeadComment, kn.LineComment, kn.FootComment = ok.HeadComment, ok.LineComment, ok.FootComment
				v.HeadComment, v.LineComment, v.FootComment = ov.HeadComment, ov.LineComment, ov.FootComment
			}
		}
		m.Content = append(m.Content, kn, v)
	}
	if old != nil {
		m.HeadComment, m.LineComment, m.FootComment = old.HeadComment, old.LineComment, old.FootComment
	}
	return m, nil
}

// oldPair returns the key and value nodes of key in mapping m.
func oldPair(m *yaml.Node, key string) (*yaml.Node, *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}

// toPoints reads [[x, y], …] from decoded JSON.
func toPoints(v any) ([][]float64, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, errors.New("want a list of [x, y]")
	}
	out := make([][]float64, 0, len(list))
	for _, p := range list {
		xy, ok := p.([]any)
		if !ok || len(xy) != 2 {
			return nil, errors.New("want a list of [x, y]")
		}
		x, ok1 := xy[0].(float64)
		y, ok2 := xy[1].(float64)
		if !ok1 || !ok2 {
			return nil, errors.New("want numbers in [x, y]")
		}
		out = append(out, []float64{x, y})
	}
	return out, nil
}

func pointsNode(pts [][]float64) (*yaml.Node, error) {
	seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
	for _, p := range pts {
		if len(p) != 2 || math.IsNaN(p[0]) || math.IsNaN(p[1]) {
			return nil, errors.New("a point is [x, y]")
		}
		pn := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
		for _, c := range p {
			pn.Content = append(pn.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float",
				Value: fmt.Sprintf("%g", math.Round(c*10000)/10000)})
		}
		seq.Content = append(seq.Content, pn)
	}
	return seq, nil
}

func (d *doc) encode() ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&d.root); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// stage writes data beside path (same directory, so relative paths in it
// resolve the same and the rename is atomic) and returns the temp name.
func stage(path string, data []byte) (string, error) {
	mode := os.FileMode(0o600)
	if st, err := os.Stat(path); err == nil {
		mode = st.Mode().Perm()
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".edit-*")
	if err != nil {
		return "", err
	}
	name := f.Name()
	if _, err = f.Write(data); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(name, mode)
	}
	if err != nil {
		os.Remove(name)
		return "", err
	}
	return name, nil
}

// commit keeps the current file as path.bak and renames staged over path.
func commit(path, staged string, old []byte) error {
	bak, err := stage(path+".bak", old)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if st, err := os.Stat(path); err == nil {
		// The backup is as readable as the file, and no more.
		if err := os.Chmod(bak, st.Mode().Perm()); err != nil {
			os.Remove(bak)
			return fmt.Errorf("backup: %w", err)
		}
	}
	if err := os.Rename(bak, path+".bak"); err != nil {
		os.Remove(bak)
		return fmt.Errorf("backup: %w", err)
	}
	if err := os.Rename(staged, path); err != nil {
		if errors.Is(err, os.ErrPermission) {
			return fmt.Errorf("%w: the config's directory is sticky (the package makes /etc/pantau root:pantau 1770), so the file must belong to the service user: chown pantau:pantau %s", err, path)
		}
		return err
	}
	if dir, err := os.Open(filepath.Dir(path)); err == nil {
		_ = dir.Sync() // best effort: the rename is already visible
		dir.Close()
	}
	return nil
}
