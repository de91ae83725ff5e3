// Package detect finds objects in a camera's frames and appends them to
// vision.Result.Detections. Three detectors share the analyzer interface
// (Name, Analyze, Close):
//
//   - BlobDetector: foreground blobs from background subtraction, class
//     "object" (the default; cheap).
//   - HOG: OpenCV's HOG people detector, run only on motion regions and
//     within a time budget per frame, class "person".
//   - DNN: a user-supplied model through OpenCV dnn (ONNX YOLOv5/YOLOv8
//     style or SSD style output), loaded through a shim that turns C++
//     exceptions into errors, after checking the file's sha256.
//
// The blob and HOG detectors reuse the motion detector's foreground (see
// BlobSource), so a camera subtracts its background once per frame; run the
// motion analyzer before them.
package detect

import (
	"cmp"
	"slices"
	"time"

	"github.com/pantau/pantau/vision"
	"github.com/pantau/pantau/vision/motion"
)

// BlobSource gives the moving regions of the frame captured at t; ok is
// false when it has not analysed that frame. *motion.Detector implements
// it.
type BlobSource interface {
	Blobs(t time.Time) (blobs []motion.Blob, ok bool)
}

var _ BlobSource = (*motion.Detector)(nil)

// inPolygon reports whether p lies inside the polygon (even-odd rule).
func inPolygon(p vision.Point, poly []vision.Point) bool {
	in := false
	for i, j := 0, len(poly)-1; i < len(poly); j, i = i, i+1 {
		a, b := poly[i], poly[j]
		if (a.Y > p.Y) != (b.Y > p.Y) && p.X < (b.X-a.X)*(p.Y-a.Y)/(b.Y-a.Y)+a.X {
			in = !in
		}
	}
	return in
}

// masked reports whether a box's bottom centre (where a person stands) lies
// in any of the polygons.
func masked(r vision.Rect, masks [][]vision.Point) bool {
	p := r.BottomCenter()
	for _, m := range masks {
		if inPolygon(p, m) {
			return true
		}
	}
	return false
}

// iou is the intersection over union of two normalised boxes.
func iou(a, b vision.Rect) float64 {
	x0, y0 := max(a.X, b.X), max(a.Y, b.Y)
	x1, y1 := min(a.X+a.W, b.X+b.W), min(a.Y+a.H, b.Y+b.H)
	if x1 <= x0 || y1 <= y0 {
		return 0
	}
	in := (x1 - x0) * (y1 - y0)
	return in / (a.Area() + b.Area() - in)
}

// nms keeps, per class, the best-scoring detections and drops those that
// overlap a better one by more than thresh. It works in place on dets and
// returns the kept prefix, best first.
func nms(dets []vision.Detection, thresh float64) []vision.Detection {
	slices.SortFunc(dets, func(a, b vision.Detection) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return cmp.Compare(a.Box.X, b.Box.X)
	})
	kept := dets[:0]
	for _, d := range dets {
		ok := true
		for _, k := range kept {
			if k.Class == d.Class && iou(k.Box, d.Box) > thresh {
				ok = false
				break
			}
		}
		if ok {
			kept = append(kept, d)
		}
	}
	return kept
}

// clampRect limits a normalised box to the frame.
func clampRect(r vision.Rect) vision.Rect {
	x0, y0 := min(max(r.X, 0), 1), min(max(r.Y, 0), 1)
	x1, y1 := min(max(r.X+r.W, 0), 1), min(max(r.Y+r.H, 0), 1)
	return vision.Rect{X: x0, Y: y0, W: x1 - x0, H: y1 - y0}
}
