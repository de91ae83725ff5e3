package bench

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pantau/pantau/agent/camsim"
)

// TestMain lets the test binary act as the child RTSP server of
// TestServerCommand (like `pantau camsim`), when asked through the
// environment.
func TestMain(m *testing.M) {
	if os.Getenv("PANTAU_BENCH_CHILD_SERVER") == "1" {
		os.Exit(childServer(os.Args[1:]))
	}
	os.Exit(m.Run())
}

func childServer(args []string) int {
	fs := flag.NewFlagSet("camsim", flag.ContinueOnError)
	clip := fs.String("clip", "", "")
	addr := fs.String("rtsp", "", "")
	starts := fs.String("start-frame", "0", "")
	if len(args) == 0 || args[0] != "camsim" || fs.Parse(args[1:]) != nil {
		fmt.Fprintln(os.Stderr, "child server: bad arguments", args)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	for _, f := range strings.Split(*starts, ",") {
		start, err := strconv.Atoi(f)
		var srv *camsim.Server
		if err == nil {
			srv, err = camsim.New(camsim.Config{Clip: *clip, Addr: *addr, StartFrame: start})
		}
		if err == nil {
			err = srv.Start(ctx)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer srv.Close()
		fmt.Println("serving at", srv.URL())
	}
	<-ctx.Done()
	return 0
}

// TestServerCommand runs the RTSP servers in a child process, as `pantau
// bench` does, so that their CPU is reported apart: one simulated camera
// per stream, the second started mid-GOP (--start-frame A,B).
func TestServerCommand(t *testing.T) {
	t.Setenv("PANTAU_BENCH_CHILD_SERVER", "1")
	clip := clipDir + "vtest_h264.mp4"
	rep, err := Run(context.Background(), Config{
		Clip: clip, Duration: time.Second, Warmup: 500 * time.Millisecond, NoFloor: true, NoNaive: true,
		ServerCommand: []string{os.Args[0], "camsim", "--clip", clip}, Rounds: 2, NoPeer: true, Streams: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.ServerInProcess || rep.ServerCPUS <= 0 || rep.DecodedFPS <= 0 || len(rep.Errors) != 0 || len(rep.StartFrames) != 2 {
		t.Errorf("report %+v", rep)
	}
	for i, s := range rep.PerStream {
		if s.DecodedFPS <= 0 {
			t.Errorf("stream %d (its camera started at frame %d) decoded nothing", i, rep.StartFrames[i])
		}
	}
	// Two Pantau windows, summed (the peer is TestRun's).
	if rep.Rounds != 2 || rep.DurationS < 1.9 || rep.DurationS > 4 || rep.PeerCPUCores != 0 {
		t.Errorf("rounds: %d, %.2f s measured, peer %.2f cores", rep.Rounds, rep.DurationS, rep.PeerCPUCores)
	}
	// A server command that exits at once is reported, not waited for.
	_, err = Run(context.Background(), Config{Clip: clip, NoFloor: true, NoNaive: true,
		ServerCommand: []string{os.Args[0], "nonsense"}})
	if err == nil {
		t.Error("a failing server command was not reported")
	}
}

// TestPeerFailureKeepsPantau: a peer that cannot run (here an ffmpeg on
// PATH that exits at once, as when too many streams starve it) is
// reported in Errors; Pantau's figures are still there.
func TestPeerFailureKeepsPantau(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/ffmpeg", []byte("#!/bin/sh\necho cannot keep up >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+":"+os.Getenv("PATH"))
	rep, err := Run(context.Background(), Config{
		Clip: clipDir + "vtest_h264.mp4", Duration: time.Second, Warmup: 500 * time.Millisecond, NoFloor: true, NoNaive: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.DecodedFPS <= 0 || rep.PantauOverPeer != 0 || len(rep.Errors) != 1 || !strings.Contains(rep.Errors[0], "cannot keep up") {
		t.Errorf("decoded %.1f fps, pantau/peer %.2f, errors %q", rep.DecodedFPS, rep.PantauOverPeer, rep.Errors)
	}
}
