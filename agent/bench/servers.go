package bench

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/pantau/pantau/agent/camsim"
)

// startFrames returns where in the clip each stream's simulated camera
// starts, or nil when all streams share one camera (cfg.Aligned).
//
// Real cameras are not synchronised: their keyframes (8–10× a P-frame's
// decoding cost at 1080p) fall at independent moments, and so do the
// pictures the 5 fps gate picks. One simulated camera fanned out to every
// stream lines them all up instead — every keyframe of every stream in
// the same millisecond, every analysed frame at the same instant — which
// is the worst case, not the usual one. Stream i starts i/n of a GOP
// later, plus i mod k frames (k frames per analysis interval), so both
// the keyframes and the analysed pictures are spread evenly.
func startFrames(cfg Config, c clipCounts) []int {
	if cfg.Aligned || cfg.Streams < 2 {
		return nil
	}
	gop := c.gopFrames()
	if gop < 2 {
		return nil // all keyframes: nothing to spread
	}
	k := 1
	if fps := c.info.FPS; fps > 0 && cfg.FPS > 0 {
		k = max(1, int(fps/cfg.FPS+0.5))
	}
	out := make([]int, cfg.Streams)
	for i := range out {
		out[i] = (i*gop/cfg.Streams + i%k) % gop
	}
	return out
}

// gopFrames is the distance in frames between the clip's first two
// keyframes (0 when it has fewer than two).
func (c clipCounts) gopFrames() int {
	first := -1
	for i, k := range c.isKey {
		if !k {
			continue
		}
		if first >= 0 {
			return i - first
		}
		first = i
	}
	return 0
}

// startServers serves the clip over RTSP on loopback: one simulated
// camera per entry of starts (starting at that frame), or one for all
// streams when starts is nil. With cfg.ServerCommand they all run in one
// child process (so their CPU is not counted, and N cameras cost one Go
// runtime, not N), else in this process. It returns stream i's URL at
// index i (one URL when starts is nil) and a stop function returning the
// child's CPU time.
func startServers(ctx context.Context, cfg Config, starts []int) ([]string, func() time.Duration, error) {
	if starts == nil {
		starts = []int{0}
	}
	if len(cfg.ServerCommand) > 0 {
		return startChild(ctx, cfg, starts)
	}
	var urls []string
	var srvs []*camsim.Server
	stop := func() time.Duration {
		for _, s := range srvs {
			s.Close()
		}
		return 0
	}
	for _, start := range starts {
		srv, err := camsim.New(camsim.Config{Clip: cfg.Clip, Addr: "127.0.0.1:0", StartFrame: start})
		if err == nil {
			err = srv.Start(ctx)
		}
		if err != nil {
			stop()
			return nil, nil, err
		}
		urls, srvs = append(urls, srv.URL()), append(srvs, srv)
	}
	return urls, stop, nil
}

// startChild runs cfg.ServerCommand with "--rtsp 127.0.0.1:0
// --start-frame A,B,…" appended; the child prints one line with an
// rtsp:// URL per camera once it listens.
func startChild(ctx context.Context, cfg Config, starts []int) ([]string, func() time.Duration, error) {
	frames := make([]string, len(starts))
	for i, f := range starts {
		frames[i] = strconv.Itoa(f)
	}
	cctx, cancel := context.WithCancel(ctx)
	args := append(append([]string(nil), cfg.ServerCommand[1:]...), "--rtsp", "127.0.0.1:0", "--start-frame", strings.Join(frames, ","))
	cmd := exec.CommandContext(cctx, cfg.ServerCommand[0], args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		return nil, nil, err
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		cancel()
		return nil, nil, fmt.Errorf("bench: start RTSP server %v: %w", cfg.ServerCommand, err)
	}
	// stop returns the child's CPU time.
	stop := func() time.Duration {
		cancel()
		cmd.Wait()
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			return rusageCPU(ru)
		}
		return 0
	}
	// The scanner keeps reading to the end, so the child never blocks on
	// a full pipe; found has room for every URL, so it never blocks either.
	found := make(chan string, len(starts))
	go func() {
		defer close(found)
		sc := bufio.NewScanner(out)
		for n := 0; sc.Scan(); {
			for _, f := range strings.Fields(sc.Text()) {
				if strings.HasPrefix(f, "rtsp://") && n < len(starts) {
					found <- f
					n++
					break
				}
			}
		}
	}()
	var urls []string
	timeout := time.After(30 * time.Second)
	for len(urls) < len(starts) {
		select {
		case u, ok := <-found:
			if !ok {
				stop()
				return nil, nil, fmt.Errorf("bench: RTSP server %v exited: %s", cfg.ServerCommand, stderr.String())
			}
			urls = append(urls, u)
		case <-timeout:
			stop()
			return nil, nil, fmt.Errorf("bench: RTSP server %v did not start %d cameras in 30 s", cfg.ServerCommand, len(starts))
		}
	}
	return urls, stop, nil
}
