package pipeline

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/pantau/pantau/vision"
	"github.com/pantau/pantau/vision/clip"
	"github.com/pantau/pantau/vision/frame"
)

const clipDir = "../../testdata/clips/"

// clipPath returns the path of a test clip, failing when it was not made.
func clipPath(t testing.TB, name string) string {
	t.Helper()
	p := clipDir + name
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("test clip %s missing: run scripts/testdata.sh (make testdata)", p)
	}
	return p
}

// loadClip reads a clip's access units into memory.
func loadClip(t testing.TB, path string) ([]clip.AccessUnit, clip.Info) {
	t.Helper()
	aus, info, err := clip.ReadAll(path)
	if err != nil {
		t.Fatal(err)
	}
	return aus, info
}

// ffmpegClip makes a clip with ffmpeg into dir and returns its path.
func ffmpegClip(t testing.TB, dir, name string, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Fatal("ffmpeg not found: run scripts/setup.sh (apt-get install ffmpeg)")
	}
	out := filepath.Join(dir, name)
	cmd := exec.Command("ffmpeg", append(append([]string{"-v", "error", "-y"}, args...), out)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg %v: %v\n%s", args, err, b)
	}
	return out
}

// checkMats fails the test if it leaves more live Mats than it found.
func checkMats(t *testing.T) {
	t.Helper()
	before := matCount()
	t.Cleanup(func() {
		if n := matCount(); n != before {
			t.Errorf("leaked %d Mats", n-before)
		}
	})
}

// recorder is a test analyzer: it records what it saw and can be slow.
type recorder struct {
	mu     sync.Mutex
	pts    []time.Duration
	times  []time.Time
	sizes  map[[2]int]int
	delay  time.Duration
	colour int // frames with a working BGR
	fail   bool
}

func (r *recorder) Name() string { return "recorder" }

func (r *recorder) Analyze(f *frame.Frame, res *vision.Result) error {
	if r.delay > 0 {
		time.Sleep(r.delay)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sizes == nil {
		r.sizes = map[[2]int]int{}
	}
	r.pts = append(r.pts, f.PTS)
	r.times = append(r.times, f.Time)
	r.sizes[[2]int{f.Gray.Cols(), f.Gray.Rows()}]++
	if m, err := f.BGR(); err == nil && m.Cols() == f.Gray.Cols() {
		r.colour++
	}
	res.Motion = true
	if r.fail {
		return errFail
	}
	return nil
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.pts)
}

type failErr struct{}

func (failErr) Error() string { return "recorder: asked to fail" }

var errFail = failErr{}

// pushAll pushes aus with Received set to now, waiting while the queue is
// more than half full so that nothing is dropped for lack of decode time.
func pushAll(p *Pipeline, aus []clip.AccessUnit, ptsOffset time.Duration) {
	for _, au := range aus {
		for len(p.queue) > cap(p.queue)/2 {
			time.Sleep(time.Millisecond)
		}
		p.Push(AccessUnit{NALUs: au.NALUs, PTS: au.PTS + ptsOffset, RandomAccess: au.RandomAccess, Received: time.Now()})
	}
}

// waitIdle waits until the queue is empty and the analysed count stops
// changing.
func waitIdle(t *testing.T, p *Pipeline) {
	t.Helper()
	last, stable := uint64(1<<64-1), 0
	for i := 0; i < 3000; i++ {
		s := p.Stats()
		if len(p.queue) == 0 && s.Analysed == last {
			stable++
			if stable == 5 {
				return
			}
		} else {
			stable = 0
		}
		last = s.Analysed
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("pipeline did not go idle")
}
