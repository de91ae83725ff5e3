// Package vision holds the plain result types that analyzers produce and the
// geometry they share. It has no cgo, so the aggregation and publishing side
// of the agent can use it without OpenCV.
//
// Geometry is normalised: x and y run from 0 to 1, x to the right and y
// down, so a configuration survives a change of resolution.
package vision

import "time"

// Point is a normalised image position (0–1, x right, y down).
type Point struct{ X, Y float64 }

// Rect is a normalised axis-aligned box: top-left corner, width and height.
type Rect struct{ X, Y, W, H float64 }

// Center is the middle of r.
func (r Rect) Center() Point { return Point{r.X + r.W/2, r.Y + r.H/2} }

// BottomCenter is the middle of r's lower edge, the default anchor for line
// crossing and zone membership (where a person's feet touch the ground).
func (r Rect) BottomCenter() Point { return Point{r.X + r.W/2, r.Y + r.H} }

// Area is r's normalised area.
func (r Rect) Area() float64 { return r.W * r.H }

// Detection is one object found in one frame.
type Detection struct {
	Box   Rect
	Class string // "object" for the motion-blob detector, else "person", "car", …
	Score float64
}

// Track is an object followed across frames with a stable ID.
type Track struct {
	ID    int
	Box   Rect
	Class string
	// Hits is how many frames matched this track; Age how many frames since
	// it was created; Lost how many consecutive frames it was not matched.
	Hits, Age, Lost int
	// Confirmed is true once the track has enough hits to be reported.
	Confirmed bool
}

// Event types, as they appear in MQTT topics (…/event/{type}).
const (
	EventMotion    = "motion"
	EventLineCross = "line_cross"
	EventZoneEnter = "zone_enter"
	EventZoneExit  = "zone_exit"
	EventLoiter    = "loiter"
	EventIntrusion = "intrusion"
	EventTamper    = "tamper"
)

// Event is something an analyzer noticed at one moment. Fields that do not
// apply to a type are left zero.
type Event struct {
	Type  string    // one of the Event* constants
	Time  time.Time // frame time (wall clock of capture)
	Rule  string    // line or zone name; empty for motion and tamper
	Class string
	Track int
	// Direction is "in" or "out" for line_cross.
	Direction string
	// State is "start"/"end" for motion, "raised"/"cleared" for tamper.
	State string
	// Kind is the tamper kind: "covered", "defocus", "scene_change", "video_loss".
	Kind string
	// Dwell is how long the track has been in the zone (zone_exit, loiter).
	Dwell time.Duration
	// Area is the normalised moving area for motion events.
	Area float64
}

// ZoneOccupancy is how many tracks of each class are inside a zone now.
type ZoneOccupancy struct {
	Zone    string
	ByClass map[string]int
}

// Result is what the analyzers of one camera found in one frame. The
// pipeline owns one Result per camera and resets it before each frame
// (Reset), so analyzers append to its slices without allocating in steady
// state. Analyzers run in a fixed order and later ones may read what earlier
// ones wrote (view watcher → everything; detector → tracker → lines and
// zones).
type Result struct {
	Time   time.Time // capture time of the frame
	Motion bool      // motion present in this frame (after debounce)
	// MotionArea is the normalised moving area in this frame.
	MotionArea float64
	Detections []Detection
	// Coast is set when no detector pass finished for this frame (the
	// shared detector answers some frames later, or not every frame):
	// Detections are then only motion regions, without class or score,
	// which may move existing tracks but never start one, and a track
	// without a match is not counted as missed.
	Coast bool
	// Inspected are the regions a detector pass looked at, when it looked
	// at parts of the frame only (crops around motion); empty means the
	// whole frame. A track outside them is not counted as missed.
	Inspected []Rect
	Tracks    []Track
	Events    []Event
	// Occupancy is set by the zone analyzer on every frame it runs.
	Occupancy []ZoneOccupancy

	// View is the picture mode the view watcher (vision/tamper) sees:
	// ViewDay, ViewIR or "" when unknown (no watcher, a source without
	// colour, not decided yet).
	View string
	// ViewChange is set on the frame where the whole view changed at once
	// (one of the ViewChange* constants): a camera switching to or from
	// its infrared night mode, or the lighting of the whole scene
	// stepping. It is neither motion nor tampering: the motion analyzer
	// restarts its background and tamper detection learns the new view.
	ViewChange string
	// Settling is true from a view change until the new view has settled
	// (a few seconds): lines and zones ignore tracks meanwhile.
	Settling bool
	// TamperPending is true while a tamper condition is seen or raised
	// (covered, defocus, scene change): zones ignore tracks meanwhile.
	TamperPending bool
	// MotionRestart is set by the motion analyzer on the frame it threw
	// its background model away and started learning again, saying why
	// (RestartViewChange or RestartGlobalChange).
	MotionRestart string
}

// Why the motion background restarted (Result.MotionRestart).
const (
	// RestartViewChange: Result.ViewChange was set (day/infrared switch,
	// lighting step).
	RestartViewChange = "view_change"
	// RestartGlobalChange: the motion stage itself found most of the
	// picture changed at once (lighting drift across the whole picture,
	// a cover, a moved camera).
	RestartGlobalChange = "global_change"
)

// Picture modes (Result.View).
const (
	ViewDay = "day" // colour
	ViewIR  = "ir"  // black and white: the camera's infrared night mode
)

// Kinds of view change (Result.ViewChange).
const (
	ViewChangeToIR     = "day_to_ir"
	ViewChangeToDay    = "ir_to_day"
	ViewChangeLighting = "lighting" // brightness step, colour unchanged
)

// Reset clears r for the next frame, keeping its slices' capacity.
func (r *Result) Reset(t time.Time) {
	r.Time = t
	r.Motion = false
	r.MotionArea = 0
	r.Coast = false
	r.Inspected = r.Inspected[:0]
	r.Detections = r.Detections[:0]
	r.Tracks = r.Tracks[:0]
	r.Events = r.Events[:0]
	r.Occupancy = r.Occupancy[:0]
	r.View, r.ViewChange = "", ""
	r.Settling, r.TamperPending, r.MotionRestart = false, false, ""
}
