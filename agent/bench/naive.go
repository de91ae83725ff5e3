package bench

import (
	"context"
	"fmt"
	"time"

	"gocv.io/x/gocv"

	"github.com/pantau/pantau/vision"
	"github.com/pantau/pantau/vision/frame"
	"github.com/pantau/pantau/vision/motion"
)

// naiveResult is what the naive loop cost.
type naiveResult struct {
	frames int
	cpu    time.Duration
	video  time.Duration // stream time covered
}

// runNaive is the loop most people write first: OpenCV's VideoCapture
// reads BGR frames, every frame is converted to gray and given to the same
// motion analyzer at full resolution. It stops at the end of the clip or
// after maxWall.
func runNaive(ctx context.Context, path string, fps float64, maxWall time.Duration) (naiveResult, error) {
	vc, err := gocv.VideoCaptureFile(path)
	if err != nil {
		return naiveResult{}, fmt.Errorf("bench: naive baseline: open %s: %w", path, err)
	}
	defer vc.Close()
	det, err := motion.New(motion.Config{})
	if err != nil {
		return naiveResult{}, err
	}
	defer det.Close()
	bgr := gocv.NewMat()
	defer bgr.Close()
	f := frame.New(nil, nil)
	defer f.Close()
	var r vision.Result
	start, cpu0 := time.Now(), selfCPU()
	base := time.Unix(0, 0)
	n := 0
	for ctx.Err() == nil && time.Since(start) < maxWall && vc.Read(&bgr) {
		if bgr.Empty() {
			break
		}
		gocv.CvtColor(bgr, &f.Gray, gocv.ColorBGRToGray)
		f.Time = base.Add(time.Duration(float64(n) / fps * float64(time.Second)))
		r.Reset(f.Time)
		if err := det.Analyze(f, &r); err != nil {
			return naiveResult{}, err
		}
		n++
	}
	if n == 0 {
		return naiveResult{}, fmt.Errorf("bench: naive baseline: OpenCV read no frame from %s", path)
	}
	return naiveResult{frames: n, cpu: selfCPU() - cpu0, video: time.Duration(float64(n) / fps * float64(time.Second))}, nil
}
