package bench

import (
	"bufio"
	"context"
	"fmt"
	"net"
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
// streams when starts is nil. Each is a child process when
// cfg.ServerCommand is set (so its CPU is not counted), else in process.
// It returns stream i's URL at index i (one URL when starts is nil) and a
// stop function returning the children's CPU time.
func startServers(ctx context.Context, cfg Config, starts []int) ([]string, func() time.Duration, error) {
	if starts == nil {
		starts = []int{0}
	}
	var urls []string
	var stops []func() time.Duration
	stop := func() time.Duration {
		var cpu time.Duration
		for _, s := range stops {
			cpu += s()
		}
		return cpu
	}
	for _, start := range starts {
		url, s, err := startServer(ctx, cfg, start)
		if err != nil {
			stop()
			return nil, nil, err
		}
		urls, stops = append(urls, url), append(stops, s)
	}
	return urls, stop, nil
}

// startServer starts one simulated camera at the clip's frame start.
func startServer(ctx context.Context, cfg Config, start int) (string, func() time.Duration, error) {
	if len(cfg.ServerCommand) == 0 {
		srv, err := camsim.New(camsim.Config{Clip: cfg.Clip, Addr: "127.0.0.1:0", StartFrame: start})
		if err != nil {
			return "", nil, err
		}
		if err := srv.Start(ctx); err != nil {
			return "", nil, err
		}
		return srv.URL(), func() time.Duration { srv.Close(); return 0 }, nil
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	addr := l.Addr().String()
	l.Close()
	cctx, cancel := context.WithCancel(ctx)
	args := append(append([]string(nil), cfg.ServerCommand[1:]...), "--rtsp", addr)
	if start > 0 {
		args = append(args, "--start-frame", strconv.Itoa(start))
	}
	cmd := exec.CommandContext(cctx, cfg.ServerCommand[0], args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		return "", nil, err
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		cancel()
		return "", nil, fmt.Errorf("bench: start RTSP server %v: %w", cfg.ServerCommand, err)
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
	// The server prints a line once it listens.
	line := make(chan bool, 1)
	go func() { line <- bufio.NewScanner(out).Scan() }()
	select {
	case ok := <-line:
		if !ok {
			stop()
			return "", nil, fmt.Errorf("bench: RTSP server %v exited: %s", cfg.ServerCommand, stderr.String())
		}
	case <-time.After(30 * time.Second):
		stop()
		return "", nil, fmt.Errorf("bench: RTSP server %v did not start in 30 s", cfg.ServerCommand)
	}
	return "rtsp://" + addr + "/cam", stop, nil
}
