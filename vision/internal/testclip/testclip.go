// Package testclip reads test clips as gray frames at analysis size for the
// analyzers' tests and benchmarks. It uses gocv's VideoCapture (OpenCV's
// FFmpeg backend), not the agent's decoder, so analyzer tests do not depend
// on vision/decode.
package testclip

import (
	"fmt"
	"image"
	"math"
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

// Seek moves to frame n (from 0); the next frame read is n, with its time
// at n's offset. It reports whether the clip could seek there.
func (r *Reader) Seek(n int) bool {
	r.vc.Set(gocv.VideoCapturePosFrames, float64(n))
	if int(r.vc.Get(gocv.VideoCapturePosFrames)) != n {
		return false
	}
	r.n = n
	return true
}

// Saturation is how colourful the frame last read is, as the agent's
// decoder measures it (frame.Frame.Saturation): the mean distance of the
// chroma from neutral gray in 8-bit levels, on a sparse grid, here
// computed from OpenCV's BGR → YCrCb conversion of the sampled pixels.
func (r *Reader) Saturation() float64 {
	rows, cols := r.bgr.Rows(), r.bgr.Cols()
	px, err := r.bgr.DataPtrUint8()
	if err != nil || r.bgr.Type() != gocv.MatTypeCV8UC3 || len(px) < rows*cols*3 {
		return -1
	}
	sy, sx := max(1, rows/48), max(1, cols/64)
	sum, n := 0.0, 0
	for y := sy / 2; y < rows; y += sy {
		for x := sx / 2; x < cols; x += sx {
			i := (y*cols + x) * 3
			b, g, rd := float64(px[i]), float64(px[i+1]), float64(px[i+2])
			luma := 0.299*rd + 0.587*g + 0.114*b
			cr, cb := (rd-luma)*0.713, (b-luma)*0.564
			sum += math.Hypot(cr, cb)
			n++
		}
	}
	if n == 0 {
		return -1
	}
	return sum / float64(n)
}

// Close frees the capture and its Mat.
func (r *Reader) Close() error {
	r.bgr.Close()
	r.g.Close()
	return r.vc.Close()
}
