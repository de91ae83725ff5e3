package config

import (
	"strings"
	"time"
)

// Camera configures one camera and its analytics. Zero fields take the
// value from the config's defaults section, then the built-in default.
type Camera struct {
	// Name identifies the camera in topics and metric labels: 1–64 of
	// a-z, 0-9, '_' and '-', unique among cameras. Required.
	Name string `yaml:"name"`
	// URL is the RTSP stream (rtsp:// or rtsps://); it may carry
	// credentials (rtsp://user:pass@host/…), which are never logged.
	// Required unless ONVIF is set.
	URL string `yaml:"url"`
	// ONVIF is the camera's ONVIF device service URL
	// (http://host/onvif/device_service). When URL is empty the agent asks
	// the device for a stream URI.
	ONVIF string `yaml:"onvif"`
	// Username and Password are the camera credentials, an alternative to
	// credentials in the URL (not both). Also used for ONVIF.
	Username string `yaml:"username"`
	// Password: see Username. Never logged.
	Password string `yaml:"password"`
	// PasswordFile, PasswordEnv and PasswordCredential give the password
	// instead of Password (one of the four at most): a file (trailing
	// newline trimmed; relative to the config file), an environment
	// variable, or a systemd credential (LoadCredential=, read from
	// $CREDENTIALS_DIRECTORY). They let the config file stay free of
	// secrets.
	PasswordFile       string `yaml:"password_file"`
	PasswordEnv        string `yaml:"password_env"`
	PasswordCredential string `yaml:"password_credential"`
	// Transport is the RTP transport, tcp or udp. It defaults to tcp (UDP
	// drops packets even on loopback).
	Transport string `yaml:"transport"`
	// ReadTimeout is how long the stream may be silent before it counts as
	// failed. It defaults to 10 s.
	ReadTimeout time.Duration `yaml:"read_timeout"`
	// DialTimeout bounds the TCP connect and the RTSP handshake (OPTIONS,
	// DESCRIBE with its 401 round, SETUP, PLAY). It defaults to 5 s.
	DialTimeout time.Duration `yaml:"dial_timeout"`
	// StallTimeout ends a session that yields no decoded picture for this
	// long (packets may still flow: a frozen encoder, a stream that never
	// sends a keyframe, a decoder that keeps failing) and reconnects.
	// 0 (the default) means the larger of 10 s and twice the observed GOP.
	StallTimeout time.Duration `yaml:"stall_timeout"`
	// AuthRetry is the pause after the camera refused the credentials
	// before trying again, so that a wrong password does not lock the
	// account. A config reload that changes the credentials or the URL
	// retries at once. It defaults to 5 min.
	AuthRetry time.Duration `yaml:"auth_retry"`
	// Decode is full, keyframes or auto. It defaults to auto.
	Decode string `yaml:"decode"`
	// DecodeThreads is libavcodec's thread count. It defaults to 1.
	DecodeThreads int `yaml:"decode_threads"`
	// FPS is the analysis frame rate. It defaults to 5.
	FPS float64 `yaml:"fps"`
	// AnalysisWidth is the width frames are resized to for analysis
	// (height keeps the aspect ratio). It defaults to 640.
	AnalysisWidth int `yaml:"analysis_width"`
	// Enabled turns the camera on. It defaults to true.
	Enabled *bool `yaml:"enabled"`
	// Motion configures motion detection.
	Motion MotionConfig `yaml:"motion"`
	// Detector configures object detection.
	Detector DetectorConfig `yaml:"detector"`
	// Tracker configures object tracking.
	Tracker TrackerConfig `yaml:"tracker"`
	// Lines are counting lines.
	Lines []Line `yaml:"lines"`
	// Zones are polygons for occupancy, loitering and intrusion.
	Zones []Zone `yaml:"zones"`
	// Tamper configures tamper detection.
	Tamper TamperConfig `yaml:"tamper"`
}

// IsEnabled reports whether the camera should run (nil Enabled means yes).
func (c *Camera) IsEnabled() bool { return c.Enabled == nil || *c.Enabled }

// Decode modes.
const (
	DecodeFull      = "full"
	DecodeKeyframes = "keyframes"
	DecodeAuto      = "auto"
)

// Point is a normalised image position: X right, Y down, both 0–1. In YAML
// it is written [x, y]. It converts to vision.Point with vision.Point(p).
type Point struct{ X, Y float64 }

// MotionConfig configures background-subtraction motion detection.
type MotionConfig struct {
	// Enabled turns motion detection on. It defaults to true.
	Enabled *bool `yaml:"enabled"`
	// Threshold is the background subtractor's variance threshold; higher
	// is less sensitive. It defaults to 40.
	Threshold float64 `yaml:"threshold"`
	// MinArea is the fraction (0–1) of the frame that must change to count
	// as motion. It defaults to 0.002.
	MinArea float64 `yaml:"min_area"`
	// Masks are polygons (at least 3 points each) to ignore.
	Masks [][]Point `yaml:"masks"`
	// Debounce is how long motion must last before a motion start. It
	// defaults to 500 ms.
	Debounce time.Duration `yaml:"debounce"`
	// Hold is how long the scene must be still before a motion end. It
	// defaults to 2 s.
	Hold time.Duration `yaml:"hold"`
	// Width is the width in pixels the analysis picture is shrunk to for
	// background subtraction, when smaller than analysis_width; the
	// detector still sees the analysis picture. 0 (the default)
	// subtracts at analysis_width. See docs/performance.md.
	Width int `yaml:"width"`
}

// IsEnabled reports whether motion detection runs (nil Enabled means yes).
func (m *MotionConfig) IsEnabled() bool { return m.Enabled == nil || *m.Enabled }

// DetectorConfig configures object detection.
type DetectorConfig struct {
	// Type is dnn (the default: the COCO SSD of the agent's detector
	// pool, classes person, bicycle, car, motorcycle, bus, truck), blob
	// (foreground blobs, class "object"; cheapest) or hog (OpenCV's HOG
	// people detector on motion regions).
	Type string `yaml:"type"`
	// Model is the dnn model. Empty (the default) uses the agent's shared
	// detector pool (top-level detector.model, the COCO SSD). Otherwise
	// the camera runs its own model in its analyzer goroutine: the name of
	// an entry of the manifest.json in ModelsDir (e.g.
	// ssd_mobilenet_v2_coco), or a model file (ONNX, or Darknet .cfg with
	// .weights beside it) listed in the manifest.json beside it, relative
	// to the config file's directory. A bare word without '/' or '.' is a
	// name.
	Model string `yaml:"model"`
	// ModelsDir is where a model named by Model is looked up (its
	// manifest.json and files), relative to the config file's directory.
	// It defaults to /usr/share/pantau/models.
	ModelsDir string `yaml:"models_dir"`
	// MaxRate is the most inferences per second the camera may ask of the
	// shared pool; a frame with motion costs one per crop. The pool lowers
	// it for every camera when the detector is slower than its budget, so
	// a high cap costs CPU only while the pool has room. It defaults to 5
	// (busy-label F1 0.861 against 0.766 at 2: docs/accuracy.md).
	MaxRate float64 `yaml:"max_rate"`
	// ClassesFile lists class names, one per line, for dnn.
	ClassesFile string `yaml:"classes_file"`
	// Classes keeps only these classes; empty keeps the model's default
	// classes from its manifest entry (for the COCO model: person, bicycle,
	// car, motorcycle, bus, truck), or all of them.
	Classes []string `yaml:"classes"`
	// InputSize is the dnn input width and height. It defaults to 0: the
	// model's input size from its manifest entry. Models with anchors
	// (the SSD) accept only their own size.
	InputSize int `yaml:"input_size"`
	// Confidence is the minimum detection score (0–1). It defaults to 0.5.
	Confidence float64 `yaml:"confidence"`
	// NMS is the non-maximum-suppression IoU threshold (0–1). It defaults
	// to 0.45.
	NMS float64 `yaml:"nms"`
	// MinArea and MaxArea bound a blob's area as a fraction (0–1) of the
	// frame. They default to 0.0005 and 0.5.
	MinArea float64 `yaml:"min_area"`
	// MaxArea: see MinArea.
	MaxArea float64 `yaml:"max_area"`
	// Budget is the detector's time budget per frame. It defaults to 50 ms.
	Budget time.Duration `yaml:"budget"`
}

// UsesPool reports whether the camera's detector is the agent's shared
// pool: detector type dnn without a model of its own, and lines or zones
// to feed (a camera without them runs no detector).
func (c *Camera) UsesPool() bool {
	return c.IsEnabled() && c.Detector.Type == DetectorDNN && c.Detector.Model == "" &&
		(len(c.Lines) > 0 || len(c.Zones) > 0)
}

// UsesPoolOnceNamed is UsesPool for the defaults section, which has no
// name and is never "enabled" on its own: whether a discovered camera
// built from it would use the pool.
func (c *Camera) UsesPoolOnceNamed() bool {
	return c.Detector.Type == DetectorDNN && c.Detector.Model == "" && (len(c.Lines) > 0 || len(c.Zones) > 0)
}

// DefaultModelsDir is where a dnn model named in the config is looked up
// unless detector.models_dir says otherwise.
const DefaultModelsDir = "/usr/share/pantau/models"

// IsModelName reports whether a detector.model value is the name of a
// manifest entry (a bare word) rather than a file path.
func IsModelName(model string) bool {
	return model != "" && !strings.ContainsAny(model, `/\.`)
}

// Detector types.
const (
	DetectorBlob = "blob"
	DetectorHOG  = "hog"
	DetectorDNN  = "dnn"
)

// TrackerConfig configures IoU/centroid tracking. Counts are in analysed
// frames.
type TrackerConfig struct {
	// MaxAge is how many frames a track survives unseen. It defaults to 10.
	MaxAge int `yaml:"max_age"`
	// MinHits is how many frames a track must be seen before it is
	// reported. It defaults to 3.
	MinHits int `yaml:"min_hits"`
	// IoU is the minimum overlap (0–1) to associate. It defaults to 0.3.
	IoU float64 `yaml:"iou"`
}

// Line is a counting line (a polyline). A crossing is "in" from the side
// where (B−A)×(P−A) > 0 to the side where it is < 0, for consecutive
// points A, B and the object's anchor P, in image coordinates.
type Line struct {
	// Name identifies the rule in events and metric labels: a-z, 0-9, '_'
	// and '-', unique among the camera's lines and zones. Required.
	Name string `yaml:"name"`
	// Points are at least 2 normalised points.
	Points []Point `yaml:"points"`
	// Direction selects which crossings raise events: both (the default),
	// in or out. Counts always hold both directions.
	Direction string `yaml:"direction"`
	// Anchor is the point of a box that must cross: bottom_center (the
	// default, feet) or center.
	Anchor string `yaml:"anchor"`
	// Classes counts only these classes; empty counts all.
	Classes []string `yaml:"classes"`
	// Hysteresis is the normalised distance an anchor must move past the
	// line before a crossing counts. It defaults to 0.02.
	Hysteresis float64 `yaml:"hysteresis"`
}

// Line directions and anchors.
const (
	DirectionBoth      = "both"
	DirectionIn        = "in"
	DirectionOut       = "out"
	AnchorBottomCenter = "bottom_center"
	AnchorCenter       = "center"
)

// Zone is a polygon with occupancy, loitering and intrusion rules.
type Zone struct {
	// Name identifies the rule, like Line.Name. Required.
	Name string `yaml:"name"`
	// Points are at least 3 normalised points.
	Points []Point `yaml:"points"`
	// Classes watches only these classes; empty watches all.
	Classes []string `yaml:"classes"`
	// LoiterAfter raises loiter when a track dwells this long; zero means
	// no loiter events.
	LoiterAfter time.Duration `yaml:"loiter_after"`
	// Intrusion arms intrusion events.
	Intrusion IntrusionConfig `yaml:"intrusion"`
}

// IntrusionConfig arms intrusion events for a zone.
type IntrusionConfig struct {
	// Schedule lists when the zone is armed; empty means never. Each entry
	// is "always" or "[DAYS ]HH:MM-HH:MM" in local time, DAYS being
	// mon..sun as a list or range ("mon-fri", "sat,sun"); a range past
	// midnight ("22:00-06:00") runs into the next day. See vision.ParseSchedule.
	Schedule []string `yaml:"schedule"`
}

// TamperConfig configures tamper detection.
type TamperConfig struct {
	// Enabled turns tamper detection on. It defaults to false.
	Enabled bool `yaml:"enabled"`
	// Hold is how long a condition must last before it is raised or
	// cleared. It defaults to 3 s.
	Hold time.Duration `yaml:"hold"`
	// VideoLoss raises video_loss when no frame arrives for this long. It
	// defaults to 10 s.
	VideoLoss time.Duration `yaml:"video_loss"`
	// DarkLevel is the mean luma (0–255) below which the lens counts as
	// covered. It defaults to 20.
	DarkLevel float64 `yaml:"dark_level"`
	// DefocusDrop is the fraction (0–1) of the learned sharpness that must
	// be lost to raise defocus. It defaults to 0.6.
	DefocusDrop float64 `yaml:"defocus_drop"`
	// SceneChange is the fraction (0–1) of the background that must change
	// to raise scene_change (camera moved). It defaults to 0.5.
	SceneChange float64 `yaml:"scene_change"`
}
