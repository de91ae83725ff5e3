package count

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/pantau/pantau/vision"
)

// Anchor names: the point of a track's box that must cross a line or lie in
// a zone.
const (
	// AnchorBottom is the middle of the box's lower edge (where a person's
	// feet are). It is the default.
	AnchorBottom = "bottom"
	// AnchorCenter is the middle of the box.
	AnchorCenter = "center"
)

// DefaultHysteresis is the normalised half-width of the band around a line
// or a zone edge inside which an anchor does not change side.
const DefaultHysteresis = 0.02

// LineConfig describes one counting line. The zero value with Name and at
// least two Points is usable.
type LineConfig struct {
	// Name identifies the line in events (Event.Rule). Required.
	Name string
	// Points is the polyline, normalised (0–1), at least two points. For
	// consecutive points A, B and anchor P, a crossing from the side where
	// (B−A)×(P−A) > 0 to the side where it is < 0 is "in": for a line drawn
	// top to bottom that is screen-left to screen-right.
	Points []vision.Point
	// Reverse swaps "in" and "out".
	Reverse bool
	// Anchor is AnchorBottom or AnchorCenter. It defaults to AnchorBottom.
	Anchor string
	// Classes limits counting to these track classes. Empty counts all.
	Classes []string
	// Hysteresis is the normalised distance an anchor must move away from
	// the line before its side is trusted, so jitter on the line is counted
	// once. It defaults to DefaultHysteresis; it must be below 0.5.
	Hysteresis float64
}

// ZoneConfig describes one zone. The zero value with Name and at least
// three Points is usable.
type ZoneConfig struct {
	// Name identifies the zone in events and occupancy. Required.
	Name string
	// Points is the polygon, normalised (0–1), at least three points.
	Points []vision.Point
	// Anchor is AnchorBottom or AnchorCenter. It defaults to AnchorBottom.
	Anchor string
	// Classes limits the zone to these track classes. Empty accepts all.
	Classes []string
	// Hysteresis is the normalised distance an anchor must be inside (or
	// outside) the edge before it enters (or leaves). It defaults to
	// DefaultHysteresis; it must be below 0.5.
	Hysteresis float64
	// LoiterAfter raises one loiter event per visit when a track's dwell
	// reaches it. Zero disables loitering.
	LoiterAfter time.Duration
	// Armed is the schedule during which presence in the zone is an
	// intrusion, in the syntax of vision.ParseSchedule (e.g. "mon-fri 18:00-06:00;
	// sat,sun"). Empty never arms the zone.
	Armed string
	// IntrusionClasses limits intrusion to these classes (which must also
	// pass Classes). Empty means every class the zone accepts.
	IntrusionClasses []string
	// Location is the time zone the schedule is read in. It defaults to
	// the frame time's own location.
	Location *time.Location
}

func checkPoints(pts []vision.Point, min int) error {
	if len(pts) < min {
		return fmt.Errorf("points: need at least %d points, got %d", min, len(pts))
	}
	for i, p := range pts {
		if math.IsNaN(p.X) || math.IsNaN(p.Y) || p.X < 0 || p.X > 1 || p.Y < 0 || p.Y > 1 {
			return fmt.Errorf("points[%d]: coordinates must be within 0–1, got [%g, %g]", i, p.X, p.Y)
		}
	}
	return nil
}

func checkCommon(name, anchor string, hyst float64, classes []string) error {
	if name == "" {
		return errors.New("name: required")
	}
	switch anchor {
	case "", AnchorBottom, AnchorCenter:
	default:
		return fmt.Errorf("anchor: must be %q or %q, got %q", AnchorBottom, AnchorCenter, anchor)
	}
	if math.IsNaN(hyst) || hyst < 0 || hyst >= 0.5 {
		return fmt.Errorf("hysteresis: must be within 0–0.5, got %g", hyst)
	}
	for i, c := range classes {
		if c == "" {
			return fmt.Errorf("classes[%d]: empty class name", i)
		}
	}
	return nil
}

// Validate reports the first problem with c; the error names the field.
func (c LineConfig) Validate() error {
	if err := checkCommon(c.Name, c.Anchor, c.Hysteresis, c.Classes); err != nil {
		return err
	}
	if err := checkPoints(c.Points, 2); err != nil {
		return err
	}
	for i := 0; i+1 < len(c.Points); i++ {
		if c.Points[i] == c.Points[i+1] {
			return fmt.Errorf("points[%d]: same as the point before it; a line segment needs two distinct points", i+1)
		}
	}
	return nil
}

// Validate reports the first problem with c; the error names the field.
func (c ZoneConfig) Validate() error {
	if err := checkCommon(c.Name, c.Anchor, c.Hysteresis, c.Classes); err != nil {
		return err
	}
	if err := checkPoints(c.Points, 3); err != nil {
		return err
	}
	if polygonArea(c.Points) < 1e-9 {
		return errors.New("points: the polygon has no area")
	}
	if c.LoiterAfter < 0 {
		return fmt.Errorf("loiter_after: must not be negative, got %v", c.LoiterAfter)
	}
	if _, err := vision.ParseSchedule(c.Armed); err != nil {
		return fmt.Errorf("armed: %w", err)
	}
	for i, cl := range c.IntrusionClasses {
		if cl == "" {
			return fmt.Errorf("intrusion_classes[%d]: empty class name", i)
		}
	}
	return nil
}

func polygonArea(pts []vision.Point) float64 {
	a := 0.0
	for i, j := 0, len(pts)-1; i < len(pts); j, i = i, i+1 {
		a += pts[j].X*pts[i].Y - pts[i].X*pts[j].Y
	}
	return math.Abs(a) / 2
}

func anchorOf(anchor string, b vision.Rect) vision.Point {
	if anchor == AnchorCenter {
		return b.Center()
	}
	return b.BottomCenter()
}

func hysteresisOr(h float64) float64 {
	if h == 0 {
		return DefaultHysteresis
	}
	return h
}

func classOK(classes []string, c string) bool {
	if len(classes) == 0 {
		return true
	}
	for _, x := range classes {
		if x == c {
			return true
		}
	}
	return false
}
