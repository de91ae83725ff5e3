package bench

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gocv.io/x/gocv"

	"github.com/pantau/pantau/agent/retry"
)

// The peer is the pipeline people build instead of Pantau (Frigate's
// shape): one ffmpeg child per camera decodes the RTSP stream and writes
// gray raw video at the analysis rate and size to a pipe; a consumer
// reads each picture and runs OpenCV MOG2, an opening and contours on it.
// Its CPU is the ffmpeg children's plus the consumers'.

// peerArgs are the ffmpeg flags of one peer camera: RTSP over TCP, ffmpeg's
// own defaults for decoding (threads, loop filter), fps and scale filters to
// w×h gray on stdout.
func peerArgs(url string, fps float64, w, h int) []string {
	return []string{"-nostdin", "-v", "error", "-rtsp_transport", "tcp", "-i", url, "-an",
		"-vf", fmt.Sprintf("fps=%s,scale=%d:%d,format=gray", strconv.FormatFloat(fps, 'g', -1, 64), w, h),
		"-f", "rawvideo", "-pix_fmt", "gray", "pipe:1"}
}

// peerCamera is one ffmpeg child and its consumer.
type peerCamera struct {
	cmd    *exec.Cmd
	frames atomic.Uint64
	err    error
	done   chan struct{}
}

// peerResult is what the peer cost over the measured window.
type peerResult struct {
	ffmpegCPU   time.Duration // the children's CPU (utime+stime from /proc)
	consumerCPU time.Duration // this process's CPU while only the peer ran
	wall        time.Duration
	frames      uint64 // pictures analysed, all cameras
	command     []string
}

// runPeer runs cfg.Streams peer cameras, camera i against urls[i mod
// len(urls)], and measures them over cfg.Duration after the warm-up
// (every camera delivered a picture, then cfg.Warmup).
func runPeer(ctx context.Context, cfg Config, urls []string, w, h int) (peerResult, error) {
	var res peerResult
	ff, err := exec.LookPath("ffmpeg")
	if err != nil {
		return res, errors.New("bench: ffmpeg not found for the peer pipeline: run scripts/setup.sh (apt-get install ffmpeg)")
	}
	res.command = append([]string{"ffmpeg"}, peerArgs(urls[0], cfg.FPS, w, h)...)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	cams := make([]*peerCamera, cfg.Streams)
	var wg sync.WaitGroup
	for i := range cams {
		args := peerArgs(urls[i%len(urls)], cfg.FPS, w, h)
		c := &peerCamera{cmd: exec.CommandContext(runCtx, ff, args...), done: make(chan struct{})}
		var stderr strings.Builder
		c.cmd.Stderr = &stderr
		out, err := c.cmd.StdoutPipe()
		if err == nil {
			err = c.cmd.Start()
		}
		if err != nil {
			cancel()
			wg.Wait()
			return res, fmt.Errorf("bench: peer ffmpeg: %w", err)
		}
		cams[i] = c
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(c.done)
			c.err = consumePeer(out, w, h, &c.frames)
			werr := c.cmd.Wait()
			if c.err == nil && runCtx.Err() == nil {
				// ffmpeg stopped writing on its own.
				c.err = fmt.Errorf("ffmpeg exited (%v): %s", werr, strings.TrimSpace(stderr.String()))
			}
		}()
	}
	stop := func() { cancel(); wg.Wait() }
	defer stop()

	for deadline := time.Now().Add(60 * time.Second); ; {
		n := 0
		for _, c := range cams {
			select {
			case <-c.done:
				return res, fmt.Errorf("bench: peer camera ended before measuring: %v", c.err)
			default:
			}
			if c.frames.Load() > 0 {
				n++
			}
		}
		if n == len(cams) {
			break
		}
		if time.Now().After(deadline) || !retry.Sleep(ctx, 50*time.Millisecond) {
			if ctx.Err() != nil {
				return res, ctx.Err()
			}
			return res, fmt.Errorf("bench: %d of %d peer cameras delivered no picture in 60 s (more streams than the CPU can decode this way?)", len(cams)-n, len(cams))
		}
	}
	if !retry.Sleep(ctx, cfg.Warmup) {
		return res, ctx.Err()
	}
	// ffmpeg buffers while it probes the stream (5 s by default) and then
	// works through the backlog faster than real time: wait (up to 30 s)
	// until the cameras deliver no more than 10 % above the analysis rate.
	total := func() uint64 {
		var n uint64
		for _, c := range cams {
			n += c.frames.Load()
		}
		return n
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		n0 := total()
		if !retry.Sleep(ctx, 2*time.Second) {
			return res, ctx.Err()
		}
		if float64(total()-n0) <= 1.1*2*cfg.FPS*float64(len(cams)) {
			break
		}
	}
	ffCPU := func() (time.Duration, error) {
		var sum time.Duration
		for _, c := range cams {
			d, err := procCPU(c.cmd.Process.Pid)
			if err != nil {
				// Most likely the child ended: say why.
				select {
				case <-c.done:
					return 0, fmt.Errorf("bench: peer camera ended while measuring: %v", c.err)
				case <-time.After(time.Second):
					return 0, fmt.Errorf("bench: peer ffmpeg CPU: %w", err)
				}
			}
			sum += d
		}
		return sum, nil
	}
	frames0 := total()
	ff0, err := ffCPU()
	if err != nil {
		return res, err
	}
	cpu0, t0 := selfCPU(), time.Now()
	ok := retry.Sleep(ctx, cfg.Duration)
	ff1, err := ffCPU()
	res.consumerCPU, res.wall = selfCPU()-cpu0, time.Since(t0)
	if err != nil {
		return res, err
	}
	if !ok {
		return res, ctx.Err()
	}
	res.ffmpegCPU = ff1 - ff0
	res.frames = total() - frames0
	for _, c := range cams {
		select {
		case <-c.done:
			return res, fmt.Errorf("bench: peer camera ended while measuring: %v", c.err)
		default:
		}
	}
	return res, nil
}

// consumePeer reads w×h gray pictures from r and analyses each until r
// ends: MOG2 (the same history and threshold as Pantau's motion stage, no
// shadows), a 3×3 opening, external contours and their boxes.
func consumePeer(r io.Reader, w, h int, frames *atomic.Uint64) error {
	gray := gocv.NewMatWithSize(h, w, gocv.MatTypeCV8UC1)
	defer gray.Close()
	buf, err := gray.DataPtrUint8()
	if err != nil {
		return err
	}
	mog := gocv.NewBackgroundSubtractorMOG2WithParams(500, 40, false)
	defer mog.Close()
	fg, clean := gocv.NewMat(), gocv.NewMat()
	defer fg.Close()
	defer clean.Close()
	kernel := gocv.GetStructuringElement(gocv.MorphEllipse, image.Pt(3, 3))
	defer kernel.Close()
	minArea := 0.002 * float64(w*h)
	for {
		// Straight into the Mat's memory: the pipe copy is the peer's only copy.
		if _, err := io.ReadFull(r, buf); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, os.ErrClosed) {
				return nil
			}
			return err
		}
		mog.Apply(gray, &fg)
		gocv.MorphologyEx(fg, &clean, gocv.MorphOpen, kernel)
		contours := gocv.FindContours(clean, gocv.RetrievalExternal, gocv.ChainApproxSimple)
		for i := range contours.Size() {
			c := contours.At(i)
			if gocv.ContourArea(c) >= minArea {
				_ = gocv.BoundingRect(c)
			}
		}
		contours.Close()
		frames.Add(1)
	}
}

// procCPU is a child process's user+system CPU time so far, all its
// threads, from /proc/PID/stat (clock ticks of 1/100 s on Linux).
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name may hold spaces; fields count from after ')'.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, errors.New("unexpected /proc stat format")
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, errors.New("unexpected /proc stat format")
	}
	// Fields 14 and 15 of stat are utime and stime; f[0] is field 3.
	ut, err1 := strconv.ParseUint(f[11], 10, 64)
	st, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, errors.New("unexpected /proc stat format")
	}
	return time.Duration(ut+st) * 10 * time.Millisecond, nil
}

// add sums another round's window into p.
func (p *peerResult) add(o peerResult) {
	p.ffmpegCPU += o.ffmpegCPU
	p.consumerCPU += o.consumerCPU
	p.wall += o.wall
	p.frames += o.frames
	p.command = o.command
}

// addPeer fills the peer's figures and compares Pantau with it per
// analysed frame: robust to Pantau dropping frames under load and to the
// peer falling behind (each analysed frame still costs the decoding of
// every stream frame before it).
func (r *Report) addPeer(p peerResult, cfg Config) {
	secs := p.wall.Seconds()
	if secs <= 0 {
		return
	}
	r.PeerCommand = p.command
	r.PeerFFmpegCPUS = p.ffmpegCPU.Seconds()
	r.PeerConsumerCPUS = p.consumerCPU.Seconds()
	r.PeerCPUS = r.PeerFFmpegCPUS + r.PeerConsumerCPUS
	r.PeerCPUCores = r.PeerCPUS / secs
	r.PeerAnalysedFPS = float64(p.frames) / secs
	if p.frames > 0 {
		r.PeerCPUPerFrame = r.PeerCPUS / float64(p.frames)
	}
	if r.ClipFPS > 0 {
		r.PeerCPUPerDecodedFrame = r.PeerCPUS / (secs * r.ClipFPS * float64(cfg.Streams))
	}
	if r.PeerCPUPerFrame > 0 {
		r.PantauOverPeer = r.CPUPerFrame / r.PeerCPUPerFrame
	}
}
