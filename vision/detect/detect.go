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

// masked reports whether a box's bottom centre (where a person stands) lies
// in any of the polygons.
func masked(r vision.Rect, masks [][]vision.Point) bool {
	p := r.BottomCenter()
	for _, m := range masks {
		if vision.InPolygon(p, m) {
			return true
		}
	}
	return false
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
			if k.Class == d.Class && k.Box.IoU(d.Box) > thresh {
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
