// Package testclip reads test clips as gray frames at analysis size for the
// analyzers' tests and benchmarks. It uses gocv's VideoCapture (OpenCV's
// FFmpeg backend), not the agent's decoder, so analyzer tests do not depend
// on vision/decode.
package testclip

import (
	"fmt"
	"image"
	"os"
	"time"

	"gocv.io/x/gocv"
)

// Reader yields gray frames of one clip, resized (INTER_AREA) to a width.
// Close frees it.
type Reader struct {
	vc    *gocv.VideoCapture
	bgr   gocv.Mat
	g     gocv.Mat
	width int
	fps   float64
	n     int
}

// Open opens path (relative to the test's package directory) for frames
// width pixels wide. A missing file is an error naming the set-up step.
func Open(path string, width int) (*Reader, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("test clip %s: %w (run scripts/testdata.sh or make testdata)", path, err)
	}
	vc, err := gocv.VideoCaptureFile(path)
	if err != nil {
		return nil, fmt.Errorf("test clip %s: %w", path, err)
	}
	fps := vc.Get(gocv.VideoCaptureFPS)
	if fps <= 0 {
		fps = 10
	}
	return &Reader{vc: vc, bgr: gocv.NewMat(), g: gocv.NewMat(), width: width, fps: fps}, nil
}

// FPS is the clip's frame rate.
func (r *Reader) FPS() float64 { return r.fps }

// Next reads the next frame into gray (CV_8UC1, width wide) and returns its
// time: t0 plus the frame's offset at the clip's frame rate. It returns
// false at the end of the clip.
func (r *Reader) Next(gray *gocv.Mat, t0 time.Time) (time.Time, bool) {
	if !r.vc.Read(&r.bgr) || r.bgr.Empty() {
		return time.Time{}, false
	}
	h := r.bgr.Rows() * r.width / r.bgr.Cols()
	gocv.CvtColor(r.bgr, &r.g, gocv.ColorBGRToGray)
	gocv.Resize(r.g, gray, image.Pt(r.width, h), 0, 0, gocv.InterpolationArea)
	t := t0.Add(time.Duration(float64(r.n) / r.fps * float64(time.Second)))
	r.n++
	return t, true
}

// Close frees the capture and its Mat.
func (r *Reader) Close() error {
	r.bgr.Close()
	r.g.Close()
	return r.vc.Close()
}
