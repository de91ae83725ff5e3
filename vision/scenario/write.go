package scenario

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"os/exec"
	"strconv"

	"gocv.io/x/gocv"
)

// MedianBackground reads up to samples frames spread over the clip at path
// (anything OpenCV's FFmpeg backend reads, e.g. vtest.avi) and returns
// their per-pixel median in gray at width×height: the scene without the
// people walking through it. The caller closes the Mat.
func MedianBackground(path string, width, height, samples int) (gocv.Mat, error) {
	vc, err := gocv.VideoCaptureFile(path)
	if err != nil {
		return gocv.NewMat(), fmt.Errorf("scenario: background clip %s: %w (run scripts/testdata.sh)", path, err)
	}
	defer vc.Close()
	total := int(vc.Get(gocv.VideoCaptureFrameCount))
	every := max(1, total/max(1, samples))
	bgr, gray, small := gocv.NewMat(), gocv.NewMat(), gocv.NewMat()
	defer bgr.Close()
	defer gray.Close()
	defer small.Close()
	var frames [][]byte
	for n := 0; vc.Read(&bgr) && !bgr.Empty(); n++ {
		if n%every != 0 {
			continue
		}
		gocv.CvtColor(bgr, &gray, gocv.ColorBGRToGray)
		gocv.Resize(gray, &small, image.Pt(width, height), 0, 0, gocv.InterpolationArea)
		frames = append(frames, small.ToBytes())
	}
	if len(frames) == 0 {
		return gocv.NewMat(), fmt.Errorf("scenario: background clip %s: no frames", path)
	}
	med := make([]byte, width*height)
	col := make([]byte, len(frames))
	for i := range med {
		for j, f := range frames {
			col[j] = f[i]
		}
		med[i] = median(col)
	}
	m, err := gocv.NewMatFromBytes(height, width, gocv.MatTypeCV8UC1, med)
	if err != nil {
		return gocv.NewMat(), err
	}
	defer m.Close()
	// NewMatFromBytes shares med's memory; the caller gets its own copy.
	return m.Clone(), nil
}

// median returns the (upper) median of v, by counting.
func median(v []byte) byte {
	var hist [256]int
	for _, x := range v {
		hist[x]++
	}
	half, n := len(v)/2, 0
	for i, c := range hist {
		n += c
		if n > half {
			return byte(i)
		}
	}
	return 255
}

// Write renders every frame of r's scenario and encodes them to an H.264
// mp4 at path with ffmpeg (no B-frames, a keyframe every 25 frames, like
// the other test clips). ffmpeg must be installed (scripts/setup.sh).
func Write(ctx context.Context, path string, r *Renderer) error {
	s := r.s
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		return errors.New("scenario: ffmpeg not found: run scripts/setup.sh")
	}
	cmd := exec.CommandContext(ctx, "ffmpeg", "-nostdin", "-loglevel", "error", "-y",
		"-f", "rawvideo", "-pix_fmt", "gray", "-s", fmt.Sprintf("%dx%d", s.Width, s.Height),
		"-r", strconv.FormatFloat(s.FPS, 'f', -1, 64), "-i", "-",
		"-c:v", "libx264", "-profile:v", "main", "-bf", "0", "-g", "25", "-preset", "veryfast", "-crf", "20",
		"-pix_fmt", "yuv420p", path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("scenario: start ffmpeg: %w", err)
	}
	buf := make([]byte, s.Width*s.Height)
	var werr error
	for n := 0; n < s.Frames() && werr == nil; n++ {
		if werr = r.Frame(n, buf); werr == nil {
			_, werr = in.Write(buf)
		}
	}
	in.Close()
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("scenario: ffmpeg: %w: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	if werr != nil {
		return fmt.Errorf("scenario: writing frames: %w", werr)
	}
	return nil
}
