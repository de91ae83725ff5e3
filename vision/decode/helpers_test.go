package decode

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/pantau/pantau/vision/clip"
)

const clipDir = "../../testdata/clips/"

var clipCache sync.Map // name → clipData

type clipData struct {
	aus  []clip.AccessUnit
	info clip.Info
}

// loadClip reads a test clip into memory once per test binary.
func loadClip(t testing.TB, name string) ([]clip.AccessUnit, clip.Info) {
	t.Helper()
	if c, ok := clipCache.Load(name); ok {
		return c.(clipData).aus, c.(clipData).info
	}
	p := name
	if !filepath.IsAbs(p) {
		p = clipDir + name
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("test clip %s missing: run scripts/testdata.sh (make testdata)", p)
		}
	}
	aus, info, err := clip.ReadAll(p)
	if err != nil {
		t.Fatal(err)
	}
	clipCache.Store(name, clipData{aus, info})
	return aus, info
}

// unit converts a clip access unit for Decode.
func unit(au clip.AccessUnit) AccessUnit {
	return AccessUnit{NALUs: au.NALUs, PTS: au.PTS, RandomAccess: au.RandomAccess, Time: time.Unix(0, 0).Add(au.PTS)}
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

// decodeAll decodes aus, wanting every picture, and returns the frame
// count; each frame is checked by check (may be nil) and released.
func decodeAll(t *testing.T, d *Decoder, aus []clip.AccessUnit, check func(i int, f *frameInfo)) int {
	t.Helper()
	n := 0
	for i, au := range aus {
		f, err := d.Decode(unit(au), true)
		if err != nil {
			t.Fatalf("AU %d: %v", i, err)
		}
		if f == nil {
			continue
		}
		n++
		if check != nil {
			check(i, &frameInfo{W: f.Gray.Cols(), H: f.Gray.Rows(), SrcW: f.SrcWidth, SrcH: f.SrcHeight, PTS: f.PTS, Mean: f.Gray.Mean().Val1})
		}
		f.Release()
	}
	return n
}

type frameInfo struct {
	W, H, SrcW, SrcH int
	PTS              time.Duration
	Mean             float64
}
