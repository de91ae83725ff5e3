package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"syscall"
	"time"

	"github.com/pantau/pantau/vision/clip"
)

// clipCounts is what the floor needs to know about the clip.
type clipCounts struct {
	info   clip.Info
	frames int // access units
	keys   int // random-access units
	pts    []time.Duration
	isKey  []bool
}

// upTo counts the access units (or random-access units) before d.
func (c clipCounts) upTo(d time.Duration, keys bool) int {
	n := 0
	for i, p := range c.pts {
		if p < d && (!keys || c.isKey[i]) {
			n++
		}
	}
	return n
}

func countClip(path string) (clipCounts, error) {
	r, err := clip.Open(path)
	if err != nil {
		return clipCounts{}, err
	}
	defer r.Close()
	c := clipCounts{info: r.Info()}
	for {
		au, err := r.Next()
		if errors.Is(err, io.EOF) {
			return c, nil
		}
		if err != nil {
			return c, err
		}
		c.frames++
		if au.RandomAccess {
			c.keys++
		}
		c.pts = append(c.pts, au.PTS)
		c.isKey = append(c.isKey, au.RandomAccess)
	}
}

// floorArgs are the ffmpeg flags matching a decode mode: one thread, loop
// filter skipped like pantau's analysis mode, keyframes only when pantau
// decodes only keyframes.
// With realtime > 0 ffmpeg reads at the native rate (-re) for that long,
// like a camera: caches go cold between frames, as in pantau.
func floorArgs(path string, keyframes bool, realtime time.Duration) []string {
	args := []string{"-nostdin", "-v", "error"}
	if realtime > 0 {
		args = append(args, "-re", "-t", fmt.Sprintf("%.3f", realtime.Seconds()))
	}
	args = append(args, "-threads", "1", "-skip_loop_filter", "all")
	if keyframes {
		args = append(args, "-skip_frame", "nokey")
	}
	return append(args, "-i", path, "-an", "-f", "null", "-")
}

// runFloor decodes the clip with ffmpeg and returns the child's CPU time.
func runFloor(ctx context.Context, path string, keyframes bool, realtime time.Duration) (time.Duration, []string, error) {
	ff, err := exec.LookPath("ffmpeg")
	if err != nil {
		return 0, nil, errors.New("bench: ffmpeg not found for the floor measurement: run scripts/setup.sh (apt-get install ffmpeg)")
	}
	args := floorArgs(path, keyframes, realtime)
	cmd := exec.CommandContext(ctx, ff, args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return 0, nil, fmt.Errorf("bench: ffmpeg floor: %v: %s", err, out)
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0, nil, errors.New("bench: no rusage for the ffmpeg child")
	}
	return rusageCPU(ru), append([]string{"ffmpeg"}, args...), nil
}
