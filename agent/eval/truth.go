// Package eval scores the analytics against ground truth: it reads truth
// files, matches counted events to true ones within a tolerance and
// computes count error, precision, recall and F1 per rule and direction.
// Run plays a clip through a camera's analyzers to collect the events;
// `pantau eval` is its command line.
package eval

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// Truth is one event that should be reported: at Time seconds from the
// clip start, for Rule (a line or zone name, or "tamper"), in Direction:
// "in"/"out" for a line, "enter"/"exit"/"loiter"/"intrusion" for a zone,
// the tamper kind ("covered", "defocus", "scene_change", "video_loss") for
// "tamper". Class is optional; when any row of a rule has one, that rule
// is scored per class.
type Truth struct {
	Time                   float64
	Rule, Direction, Class string
}

// ParseTruth reads a truth CSV: a header "time_s,rule,direction" or
// "time_s,rule,direction,class", then one row per event. Blank lines and
// lines starting with "#" are ignored. Errors name the line.
func ParseTruth(r io.Reader) ([]Truth, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	var out []Truth
	header := true
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("truth: %w", err)
		}
		line, _ := cr.FieldPos(0)
		for i := range rec {
			rec[i] = strings.TrimSpace(rec[i])
		}
		if header {
			header = false
			h := strings.Join(rec, ",")
			if h != "time_s,rule,direction" && h != "time_s,rule,direction,class" {
				return nil, fmt.Errorf("truth: line %d: header %q: want time_s,rule,direction[,class]", line, h)
			}
			continue
		}
		if len(rec) < 3 || len(rec) > 4 {
			return nil, fmt.Errorf("truth: line %d: %d fields, want time_s,rule,direction[,class]", line, len(rec))
		}
		t, err := strconv.ParseFloat(rec[0], 64)
		if err != nil || t < 0 || math.IsInf(t, 0) || math.IsNaN(t) {
			return nil, fmt.Errorf("truth: line %d: time_s %q: want seconds from the clip start (≥ 0)", line, rec[0])
		}
		if rec[1] == "" {
			return nil, fmt.Errorf("truth: line %d: empty rule", line)
		}
		if !knownDirection(rec[1], rec[2]) {
			return nil, fmt.Errorf("truth: line %d: direction %q: want in, out, enter, exit, loiter or intrusion (or a tamper kind for rule tamper)", line, rec[2])
		}
		tr := Truth{Time: t, Rule: rec[1], Direction: rec[2]}
		if len(rec) == 4 {
			tr.Class = rec[3]
		}
		out = append(out, tr)
	}
	if header {
		return nil, errors.New("truth: empty file: want a time_s,rule,direction[,class] header")
	}
	return out, nil
}

func knownDirection(rule, dir string) bool {
	if rule == TamperRule {
		switch dir {
		case "covered", "defocus", "scene_change", "video_loss":
			return true
		}
		return false
	}
	switch dir {
	case "in", "out", "enter", "exit", "loiter", "intrusion":
		return true
	}
	return false
}

// ReadTruth reads the truth CSV at path (see ParseTruth).
func ReadTruth(path string) ([]Truth, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	t, err := ParseTruth(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}
