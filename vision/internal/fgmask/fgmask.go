// Package fgmask is the background-subtraction stage shared by the motion
// detector and the blob detector, so a camera subtracts its background once
// per frame: MOG2 on the gray frame, ignore masks, an opening to drop noise,
// a closing to join the parts of one object, then connected components.
// A still frame (nothing moved since the last frame modelled, which had no
// blobs) skips all of that: see Config.StillDiff.
package fgmask

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"unsafe"

	"github.com/pantau/pantau/vision"
	"github.com/pantau/pantau/vision/blockdiff"
	"gocv.io/x/gocv"
)

// Config tunes a Subtractor. The zero value is usable.
type Config struct {
	// VarThreshold is MOG2's squared Mahalanobis distance above which a
	// pixel is foreground. It defaults to 40.
	VarThreshold float64
	// History is how many frames the background model remembers. It
	// defaults to 500.
	History int
	// Masks are normalised polygons whose pixels are never foreground.
	Masks [][]vision.Point
	// Width, when smaller than the frame's, is the width the frame is
	// shrunk to (INTER_AREA, aspect kept) before background subtraction:
	// MOG2 and the morphology cost in proportion to the pixels. Blobs'
	// normalised boxes and areas do not change with it; Px stays in pixels
	// of the frame given to Apply; the mask is at the shrunk size. 0 keeps
	// the frame's size.
	Width int
	// MinBlob is the smallest connected component kept, as a fraction of the
	// frame area. It defaults to 0.0002 (about 60 pixels at 640×480).
	MinBlob float64
	// GlobalChange is the foreground fraction of the frame above which the
	// whole picture changed (lighting switched, lens covered or defocused,
	// camera moved) rather than objects moved: the frame gives no blobs and
	// the background model starts again from it, so it does not take
	// History frames to forget the old view. Tamper detection reports such
	// changes. It defaults to 0.5.
	GlobalChange float64
	// LightChange is the relative change of brightness against its slow
	// running average, in at least three quarters of a 4×4 grid of cells,
	// above which the lighting changed (dusk, a cloud, lamps, auto
	// exposure): the model starts again from the new view, as for
	// GlobalChange. A gradual change never makes most of the picture
	// foreground at once but leaves patches of it, from about a 5 % change
	// at VarThreshold 40. Objects, even headlights at night, change only a
	// few cells. It defaults to 0.05.
	LightChange float64
	// StillDiff is the change of brightness, in gray levels of the frame
	// averaged over 4×4 pixel blocks, below which a frame is still: when
	// no block differs by more from the last frame the model learnt, and
	// that frame had no blobs, the frame gives no blobs without MOG2, the
	// morphology or the components (most of a still camera's cost). The
	// next frame that moves comes after the last skipped one, learnt for
	// all of them (see catchUpRate), so the model follows the scene as if
	// it had seen every frame. MOG2 marks no pixel that changed by less than about 12 levels
	// (its smallest variance, 4, at the default threshold 40), and a blob
	// of MinBlob covers whole blocks, so 10 misses nothing it would find.
	// It defaults to 10; negative models every frame.
	StillDiff float64
}

// Blob is one connected foreground region of a frame.
type Blob struct {
	// Box is the normalised bounding box.
	Box vision.Rect
	// Area is the normalised pixel count of the region.
	Area float64
	// Px is the bounding box in pixels of the analysed frame.
	Px image.Rectangle
}

// Subtractor turns gray frames into a foreground mask and blobs. It is not
// safe for concurrent use; Close frees its Mats.
type Subtractor struct {
	cfg    Config
	mog    mog2
	hasMog bool
	size   image.Point
	small  gocv.Mat // the frame shrunk to Width
	raw    gocv.Mat
	tmp    gocv.Mat
	fg     gocv.Mat
	keep   gocv.Mat // 255 where analysed, 0 under masks; empty when no masks
	openK  gocv.Mat
	closeK gocv.Mat
	labels gocv.Mat
	stats  gocv.Mat
	cents  gocv.Mat
	blobs  []Blob
	frames int
	// globals counts frames taken as a global change.
	globals int
	// cells is the frame shrunk to lightGrid² cells; light their running
	// average brightness.
	cells gocv.Mat
	light [lightGrid * lightGrid]float64
	// blocks is the frame shrunk to blockdiff's blocks; ref the blocks of the last
	// frame the model learnt when it had no blobs, diff their difference.
	blocks, ref, diff gocv.Mat
	// lastStill is the last frame skipped, learnt when motion comes back.
	lastStill gocv.Mat
	// moved: the last frame modelled had blobs (or a restart), so the next
	// one is modelled whatever it looks like.
	moved bool
	// fgClear: fg is all background (set when a still frame cleared it).
	fgClear bool
	// skipped counts still frames since the last one modelled; stills all
	// of them.
	skipped, stills int
}

// New checks cfg and returns a Subtractor.
func New(cfg Config) (*Subtractor, error) {
	if cfg.VarThreshold < 0 {
		return nil, fmt.Errorf("threshold: must not be negative, got %g", cfg.VarThreshold)
	}
	if cfg.History < 0 {
		return nil, fmt.Errorf("history: must not be negative, got %d", cfg.History)
	}
	if cfg.Width < 0 {
		return nil, fmt.Errorf("width: must not be negative, got %d", cfg.Width)
	}
	if cfg.MinBlob < 0 || cfg.MinBlob >= 1 {
		return nil, fmt.Errorf("min_blob: must be in [0, 1), got %g", cfg.MinBlob)
	}
	if err := CheckPolygons("masks", cfg.Masks); err != nil {
		return nil, err
	}
	if cfg.VarThreshold == 0 {
		cfg.VarThreshold = 40
	}
	if cfg.History == 0 {
		cfg.History = 500
	}
	if cfg.MinBlob == 0 {
		cfg.MinBlob = 0.0002
	}
	if cfg.GlobalChange < 0 || cfg.GlobalChange > 1 {
		return nil, fmt.Errorf("global_change: must be in [0, 1], got %g", cfg.GlobalChange)
	}
	if cfg.GlobalChange == 0 {
		cfg.GlobalChange = 0.5
	}
	if cfg.LightChange < 0 || cfg.LightChange > 1 {
		return nil, fmt.Errorf("light_change: must be in [0, 1], got %g", cfg.LightChange)
	}
	if cfg.LightChange == 0 {
		cfg.LightChange = 0.05
	}
	if cfg.StillDiff == 0 {
		cfg.StillDiff = blockdiff.DefaultStep
	}
	return &Subtractor{
		cfg: cfg, small: gocv.NewMat(), raw: gocv.NewMat(), tmp: gocv.NewMat(), fg: gocv.NewMat(),
		keep: gocv.NewMat(), openK: gocv.NewMat(), closeK: gocv.NewMat(),
		labels: gocv.NewMat(), stats: gocv.NewMat(), cents: gocv.NewMat(), cells: gocv.NewMat(),
		blocks: gocv.NewMat(), ref: gocv.NewMat(), diff: gocv.NewMat(), lastStill: gocv.NewMat(),
		blobs: make([]Blob, 0, 64), moved: true,
	}, nil
}

// CheckPolygons validates normalised polygons; errors name key[i].
func CheckPolygons(key string, polys [][]vision.Point) error {
	for i, p := range polys {
		if len(p) < 3 {
			return fmt.Errorf("%s[%d]: need at least 3 points, got %d", key, i, len(p))
		}
		for j, pt := range p {
			if pt.X < 0 || pt.X > 1 || pt.Y < 0 || pt.Y > 1 {
				return fmt.Errorf("%s[%d][%d]: point (%g, %g) outside 0–1", key, i, j, pt.X, pt.Y)
			}
		}
	}
	return nil
}

// Apply feeds one CV_8UC1 frame to the background model and computes the
// mask and blobs of that frame. A change of frame size restarts the model.
func (s *Subtractor) Apply(gray gocv.Mat) error {
	if gray.Empty() || gray.Type() != gocv.MatTypeCV8UC1 {
		return fmt.Errorf("fgmask: need a non-empty CV_8UC1 frame, got type %v", gray.Type())
	}
	full := image.Pt(gray.Cols(), gray.Rows())
	if w := s.cfg.Width; w > 0 && w < full.X {
		h := max(2, (full.Y*w+full.X/2)/full.X)
		gocv.Resize(gray, &s.small, image.Pt(w, h), 0, 0, gocv.InterpolationArea)
		gray = s.small
	}
	sz := image.Pt(gray.Cols(), gray.Rows())
	if sz != s.size || !s.hasMog {
		if err := s.resize(sz, sz != full); err != nil {
			return err
		}
	}
	s.frames++
	if s.lightChanged(gray) {
		s.globals++
		return s.restartFrom(gray)
	}
	if s.still(gray) {
		s.skipped++
		s.stills++
		gray.CopyTo(&s.lastStill)
		if len(s.blobs) > 0 || !s.fgClear {
			s.fg.SetTo(gocv.NewScalar(0, 0, 0, 0))
			s.fgClear = true
		}
		s.blobs = s.blobs[:0]
		return nil
	}
	if s.skipped > 0 {
		// Learn the still frames skipped, as the last of them, before this
		// one: learning this frame for them would take what moves in it
		// into the background.
		err := s.mog.apply(s.lastStill, &s.raw, catchUpRate(s.frames-1, s.skipped-1, s.cfg.History))
		s.skipped = 0
		if err != nil {
			return err
		}
	}
	if err := s.mog.apply(gray, &s.raw, catchUpRate(s.frames, 0, s.cfg.History)); err != nil {
		return err
	}
	s.fgClear = false
	if !s.keep.Empty() {
		gocv.BitwiseAnd(s.raw, s.keep, &s.raw)
	}
	gocv.MorphologyEx(s.raw, &s.tmp, gocv.MorphOpen, s.openK)
	gocv.MorphologyEx(s.tmp, &s.fg, gocv.MorphClose, s.closeK)
	s.blobs = s.blobs[:0]
	if s.frames > 1 && float64(gocv.CountNonZero(s.fg)) > s.cfg.GlobalChange*float64(sz.X*sz.Y) {
		s.globals++
		return s.restartFrom(gray)
	}
	err := s.components(sz, full)
	// The frame to compare the next ones with: only needed when nothing
	// moved (while things move every frame is modelled).
	if s.moved = len(s.blobs) > 0; !s.moved {
		blockdiff.Shrink(gray, &s.ref)
	}
	return err
}

// components appends the blobs of the cleaned mask s.fg (of size sz, from
// a frame of size full) to s.blobs.
func (s *Subtractor) components(sz, full image.Point) error {
	n := gocv.ConnectedComponentsWithStats(s.fg, &s.labels, &s.stats, &s.cents)
	if n <= 1 {
		return nil
	}
	raw, err := s.stats.DataPtrUint8()
	if err != nil || s.stats.Type() != gocv.MatTypeCV32S || len(raw) < n*5*4 {
		return fmt.Errorf("fgmask: unexpected component stats (type %v): %v", s.stats.Type(), err)
	}
	st := unsafe.Slice((*int32)(unsafe.Pointer(&raw[0])), n*5)
	total := float64(sz.X * sz.Y)
	minPx := int32(s.cfg.MinBlob * total)
	fw, fh := float64(sz.X), float64(sz.Y)
	// Px in pixels of the frame given, rounded outwards when shrunk.
	px := func(x, y, w, h int) image.Rectangle {
		if full == sz {
			return image.Rect(x, y, x+w, y+h)
		}
		return image.Rect(x*full.X/sz.X, y*full.Y/sz.Y,
			min(full.X, ((x+w)*full.X+sz.X-1)/sz.X), min(full.Y, ((y+h)*full.Y+sz.Y-1)/sz.Y))
	}
	for i := 1; i < n; i++ { // label 0 is the background
		row := st[i*5 : i*5+5]
		if row[4] < minPx {
			continue
		}
		x, y, w, h := int(row[0]), int(row[1]), int(row[2]), int(row[3])
		s.blobs = append(s.blobs, Blob{
			Box:  vision.Rect{X: float64(x) / fw, Y: float64(y) / fh, W: float64(w) / fw, H: float64(h) / fh},
			Area: float64(row[4]) / total,
			Px:   px(x, y, w, h),
		})
	}
	return nil
}

// restartFrom forgets the background and learns gray as the new one: the
// frame gives no blobs.
func (s *Subtractor) restartFrom(gray gocv.Mat) error {
	s.restartModel()
	s.frames = 1
	s.blobs = s.blobs[:0]
	s.fg.SetTo(gocv.NewScalar(0, 0, 0, 0))
	if !s.hasMog {
		return nil
	}
	return s.mog.apply(gray, &s.raw, -1) // the new view is the background now
}

// lightGrid is the side of the grid of cells whose mean brightness
// lightChanged follows: a change of lighting moves nearly all cells the
// same way, an object (even a car's headlights at night) only a few.
const lightGrid = 4

// lightChanged follows each grid cell's mean brightness with a slow running
// average (about 50 frames) and reports a change of lighting: at least
// three quarters of the cells moved by more than LightChange against their
// average, in the same direction. A restart of the model also restarts the
// averages.
func (s *Subtractor) lightChanged(gray gocv.Mat) bool {
	gocv.Resize(gray, &s.cells, image.Pt(lightGrid, lightGrid), 0, 0, gocv.InterpolationArea)
	px, err := s.cells.DataPtrUint8()
	if err != nil || len(px) < lightGrid*lightGrid {
		return false
	}
	if s.frames <= 1 {
		for i := range s.light {
			s.light[i] = float64(px[i])
		}
		return false
	}
	up, down := 0, 0
	for i, ref := range s.light {
		d, lim := float64(px[i])-ref, s.cfg.LightChange*max(ref, 16)
		switch {
		case d > lim:
			up++
		case d < -lim:
			down++
		}
	}
	if n := lightGrid * lightGrid * 3 / 4; up >= n || down >= n {
		for i := range s.light {
			s.light[i] = float64(px[i])
		}
		return true
	}
	for i := range s.light {
		s.light[i] += (float64(px[i]) - s.light[i]) / 50
	}
	return false
}

// Restart forgets the background: the next frame applied becomes it, and
// Frames counts from there (a caller's warm-up starts again). Use it when
// the whole view changed and the caller knows it (a camera's switch to
// infrared); such a restart is not counted in GlobalChanges.
func (s *Subtractor) Restart() {
	if s.hasMog {
		s.restartModel()
	}
}

// restartModel forgets the background: the next frame becomes it.
func (s *Subtractor) restartModel() {
	if s.hasMog {
		s.mog.close()
		s.hasMog = false
	}
	s.frames, s.skipped, s.moved = 0, 0, true
	m, err := newMOG2(s.cfg.History, s.cfg.VarThreshold)
	if err != nil {
		return // Apply reports it
	}
	s.mog, s.hasMog = m, true
}

// resize restarts the model and rebuilds size-dependent Mats.
func (s *Subtractor) resize(sz image.Point, shrunk bool) error {
	s.restartModel()
	if !s.hasMog {
		return errors.New("fgmask: OpenCV could not make a MOG2 model")
	}
	s.size = sz
	s.openK.Close()
	s.closeK.Close()
	// The opening drops specks of noise a pixel or two wide; on a picture
	// shrunk (Width) below 480 px a 3×3 one also removes small, distant
	// people, and the shrink already averaged the noise away: 2×2 there
	// (busy vtest labels at motion.width 320: F1 0.910 → 0.930).
	if !shrunk || sz.X >= 480 {
		s.openK = gocv.GetStructuringElement(gocv.MorphEllipse, image.Pt(3, 3))
	} else {
		s.openK = gocv.GetStructuringElement(gocv.MorphRect, image.Pt(2, 2))
	}
	k := sz.X/80 | 1 // odd, about 8 px at 640 wide
	if k < 3 {
		k = 3
	}
	s.closeK = gocv.GetStructuringElement(gocv.MorphEllipse, image.Pt(k, k))
	if len(s.cfg.Masks) == 0 {
		return nil
	}
	s.keep.Close()
	s.keep = gocv.NewMatWithSizeFromScalar(gocv.NewScalar(255, 0, 0, 0), sz.Y, sz.X, gocv.MatTypeCV8UC1)
	pts := make([][]image.Point, len(s.cfg.Masks))
	for i, poly := range s.cfg.Masks {
		for _, p := range poly {
			pts[i] = append(pts[i], image.Pt(int(p.X*float64(sz.X)+0.5), int(p.Y*float64(sz.Y)+0.5)))
		}
	}
	pv := gocv.NewPointsVectorFromPoints(pts)
	defer pv.Close()
	gocv.FillPoly(&s.keep, pv, color.RGBA{})
	return nil
}

// Mask is the cleaned foreground mask of the last frame (CV_8UC1, 255 for
// foreground). It belongs to the Subtractor and changes on the next Apply.
func (s *Subtractor) Mask() gocv.Mat { return s.fg }

// Blobs are the connected regions of the last frame, at least MinBlob big.
// The slice is reused by the next Apply.
func (s *Subtractor) Blobs() []Blob { return s.blobs }

// Stills is how many frames were still (see Config.StillDiff): given no
// blobs without running the model.
func (s *Subtractor) Stills() int { return s.stills }

// GlobalChanges is how many frames were taken as a change of the whole
// picture (see Config.GlobalChange).
func (s *Subtractor) GlobalChanges() int { return s.globals }

// Frames is how many frames the current model has seen (since the last
// size change or global change).
func (s *Subtractor) Frames() int { return s.frames }

// Size is the size in pixels of the last frame as modelled (after
// shrinking to Width).
func (s *Subtractor) Size() image.Point { return s.size }

// Close frees the native memory.
func (s *Subtractor) Close() error {
	if s.hasMog {
		s.mog.close()
		s.hasMog = false
	}
	for _, m := range []*gocv.Mat{&s.small, &s.raw, &s.tmp, &s.fg, &s.keep, &s.openK, &s.closeK, &s.labels, &s.stats, &s.cents, &s.cells, &s.blocks, &s.ref, &s.diff, &s.lastStill} {
		m.Close()
	}
	return nil
}
