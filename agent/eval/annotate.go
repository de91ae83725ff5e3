package eval

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
	"os/exec"
	"sort"
	"strconv"

	"github.com/pantau/pantau/vision"
	"github.com/pantau/pantau/vision/frame"
	"gocv.io/x/gocv"
)

// Polyline is a named line or zone outline, normalised.
type Polyline struct {
	Name   string
	Points []vision.Point
}

// Overlay is the rule geometry drawn on an annotated video.
type Overlay struct {
	Lines []Polyline
	Zones []Polyline
}

var (
	colLine  = color.RGBA{255, 220, 0, 0}   // yellow
	colZone  = color.RGBA{0, 200, 255, 0}   // light blue
	colTrack = color.RGBA{0, 255, 0, 0}     // confirmed: green
	colTent  = color.RGBA{160, 160, 160, 0} // unconfirmed: grey
	colLost  = color.RGBA{255, 140, 0, 0}   // lost (predicted box): orange
	colAlarm = color.RGBA{255, 0, 0, 0}     // red
	colText  = color.RGBA{255, 255, 255, 0}
)

// Annotator is an analyzer, run last, that draws what the analyzers found
// (track boxes and IDs, lines with their in/out counts, zones with their
// occupancy, raised tamper kinds) on each frame and encodes the frames to
// an H.264 mp4 with ffmpeg. Close finishes the file.
type Annotator struct {
	path    string
	fps     float64
	ov      Overlay
	bgr     gocv.Mat
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	stderr  bytes.Buffer
	size    image.Point
	counts  map[string]int
	occ     map[string]int
	tamper  map[string]bool
	err     error
	started bool
}

// NewAnnotator prepares an annotated video at path, fps frames a second
// (the analysis rate). ffmpeg starts with the first frame.
func NewAnnotator(path string, fps float64, ov Overlay) (*Annotator, error) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		return nil, errors.New("annotate: ffmpeg not found: run scripts/setup.sh")
	}
	return &Annotator{path: path, fps: fps, ov: ov, bgr: gocv.NewMat(),
		counts: map[string]int{}, occ: map[string]int{}, tamper: map[string]bool{}}, nil
}

// Name returns "annotate".
func (a *Annotator) Name() string { return "annotate" }

// Analyze draws f with r's tracks, events and occupancy and writes it.
func (a *Annotator) Analyze(f *frame.Frame, r *vision.Result) error {
	if a.err != nil {
		return a.err
	}
	if !a.started {
		a.size = image.Pt(f.Gray.Cols(), f.Gray.Rows())
		if a.err = a.start(); a.err != nil {
			return a.err
		}
	}
	if f.Gray.Cols() != a.size.X || f.Gray.Rows() != a.size.Y {
		return fmt.Errorf("annotate: frame size changed to %dx%d", f.Gray.Cols(), f.Gray.Rows())
	}
	gocv.CvtColor(f.Gray, &a.bgr, gocv.ColorGrayToBGR)
	for _, e := range r.Events {
		switch e.Type {
		case vision.EventLineCross:
			a.counts[e.Rule+" "+e.Direction]++
		case vision.EventTamper:
			a.tamper[e.Kind] = e.State == "raised"
		}
	}
	for _, o := range r.Occupancy {
		n := 0
		for _, v := range o.ByClass {
			n += v
		}
		a.occ[o.Zone] = n
	}
	for _, z := range a.ov.Zones {
		if len(z.Points) == 0 {
			continue
		}
		a.poly(z.Points, true, colZone)
		a.label(z.Points[0], z.Name+" "+strconv.Itoa(a.occ[z.Name]), colZone)
	}
	for _, l := range a.ov.Lines {
		if len(l.Points) == 0 {
			continue
		}
		a.poly(l.Points, false, colLine)
		a.label(l.Points[0], fmt.Sprintf("%s in %d out %d", l.Name, a.counts[l.Name+" in"], a.counts[l.Name+" out"]), colLine)
	}
	for _, t := range r.Tracks {
		c := colTrack
		switch {
		case t.Lost > 0:
			c = colLost
		case !t.Confirmed:
			c = colTent
		}
		b := a.px(t.Box)
		gocv.Rectangle(&a.bgr, b, c, 1)
		gocv.PutText(&a.bgr, strconv.Itoa(t.ID), image.Pt(b.Min.X, max(10, b.Min.Y-3)), gocv.FontHersheySimplex, 0.4, c, 1)
	}
	y := 16
	gocv.PutText(&a.bgr, r.Time.UTC().Format("15:04:05.0"), image.Pt(4, y), gocv.FontHersheySimplex, 0.45, colText, 1)
	kinds := make([]string, 0, len(a.tamper))
	for k, on := range a.tamper {
		if on {
			kinds = append(kinds, k)
		}
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		y += 16
		gocv.PutText(&a.bgr, "TAMPER "+k, image.Pt(4, y), gocv.FontHersheySimplex, 0.45, colAlarm, 1)
	}
	if _, err := a.stdin.Write(a.bgr.ToBytes()); err != nil {
		a.err = fmt.Errorf("annotate: ffmpeg: %w: %s", err, bytes.TrimSpace(a.stderr.Bytes()))
	}
	return a.err
}

func (a *Annotator) start() error {
	a.started = true
	a.cmd = exec.Command("ffmpeg", "-nostdin", "-loglevel", "error", "-y",
		"-f", "rawvideo", "-pix_fmt", "bgr24", "-s", fmt.Sprintf("%dx%d", a.size.X, a.size.Y),
		"-r", strconv.FormatFloat(a.fps, 'f', -1, 64), "-i", "-",
		"-c:v", "libx264", "-bf", "0", "-preset", "veryfast", "-pix_fmt", "yuv420p", a.path)
	a.cmd.Stderr = &a.stderr
	var err error
	if a.stdin, err = a.cmd.StdinPipe(); err != nil {
		return err
	}
	if err := a.cmd.Start(); err != nil {
		return fmt.Errorf("annotate: start ffmpeg: %w", err)
	}
	return nil
}

func (a *Annotator) px(b vision.Rect) image.Rectangle {
	w, h := float64(a.size.X), float64(a.size.Y)
	return image.Rect(int(b.X*w), int(b.Y*h), int((b.X+b.W)*w), int((b.Y+b.H)*h))
}

func (a *Annotator) pt(p vision.Point) image.Point {
	return image.Pt(int(p.X*float64(a.size.X)), int(p.Y*float64(a.size.Y)))
}

func (a *Annotator) poly(pts []vision.Point, closed bool, c color.RGBA) {
	for i := 0; i+1 < len(pts); i++ {
		gocv.Line(&a.bgr, a.pt(pts[i]), a.pt(pts[i+1]), c, 2)
	}
	if closed && len(pts) > 2 {
		gocv.Line(&a.bgr, a.pt(pts[len(pts)-1]), a.pt(pts[0]), c, 2)
	}
}

func (a *Annotator) label(p vision.Point, s string, c color.RGBA) {
	q := a.pt(p)
	q.X = min(max(2, q.X+4), a.size.X-8*len(s))
	q.Y = max(12, q.Y+12)
	gocv.PutText(&a.bgr, s, q, gocv.FontHersheySimplex, 0.45, c, 1)
}

// Close finishes the video (waits for ffmpeg) and frees the Mat. A run
// without frames writes no file.
func (a *Annotator) Close() error {
	defer a.bgr.Close()
	if !a.started || a.cmd == nil {
		return a.err
	}
	a.stdin.Close()
	if err := a.cmd.Wait(); err != nil && a.err == nil {
		a.err = fmt.Errorf("annotate: ffmpeg: %w: %s", err, bytes.TrimSpace(a.stderr.Bytes()))
	}
	a.cmd = nil
	return a.err
}
