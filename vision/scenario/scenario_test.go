package scenario

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"gocv.io/x/gocv"
)

const vtestAVI = "../../testdata/vtest.avi"

func TestStandardTruth(t *testing.T) {
	s, lines, zones := Standard()
	got := Truth(s, lines, zones, 3*time.Second)
	var b strings.Builder
	if err := WriteTruthCSV(&b, got); err != nil {
		t.Fatal(err)
	}
	// The times worked out by hand from the script (see Standard).
	want := `time_s,rule,direction
6.00,mid,in
16.00,mid,out
26.00,mid,in
26.00,mid,out
36.00,mid,in
36.00,mid,in
52.00,mid,in
59.20,bench,enter
59.20,bench,intrusion
64.20,bench,loiter
70.80,bench,exit
85.00,tamper,covered
97.00,tamper,defocus
`
	if b.String() != want {
		t.Errorf("truth:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestRender(t *testing.T) {
	before := matCount()
	s, _, _ := Standard()
	bg, err := MedianBackground(vtestAVI, s.Width, s.Height, 40)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewRenderer(s, bg)
	bg.Close()
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		r.Close()
		if n := matCount() - before; n != 0 {
			t.Errorf("%d Mats leaked", n)
		}
	}()
	buf := make([]byte, s.Width*s.Height)
	at := func(x, y float64) int { return int(buf[int(y*float64(s.Height))*s.Width+int(x*float64(s.Width))]) }
	// Frame 60 (6.0 s): a's anchor is on the line at (0.5, 0.6); its body
	// is dark just above the anchor, the background elsewhere.
	if err := r.Frame(60, buf); err != nil {
		t.Fatal(err)
	}
	if v := at(0.5, 0.55); v > 90 {
		t.Errorf("object a not drawn at (0.5, 0.55): grey %d", v)
	}
	if v := at(0.5, 0.61); v == at(0.5, 0.55) {
		t.Errorf("object a drawn below its anchor")
	}
	// Covered at 84 s: nearly black, a little noise.
	if err := r.Frame(840, buf); err != nil {
		t.Fatal(err)
	}
	mean, hi := 0.0, 0
	for _, v := range buf {
		mean += float64(v)
		hi = max(hi, int(v))
	}
	if mean /= float64(len(buf)); mean > 10 || hi > 30 {
		t.Errorf("covered frame: mean %.1f max %d", mean, hi)
	}
	if err := r.Frame(0, buf[:10]); err == nil {
		t.Error("short buffer accepted")
	}
}

func TestWrite(t *testing.T) {
	s, _, _ := Standard()
	s.Duration = 3 // the encoder path, not the whole clip
	bg, err := MedianBackground(vtestAVI, s.Width, s.Height, 10)
	if err != nil {
		t.Fatal(err)
	}
	defer bg.Close()
	r, err := NewRenderer(s, bg)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	out := filepath.Join(t.TempDir(), "s.mp4")
	if err := Write(context.Background(), out, r); err != nil {
		t.Fatal(err)
	}
	probe, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0", "-count_frames",
		"-show_entries", "stream=codec_name,width,height,nb_read_frames,has_b_frames", "-of", "csv=p=0", out).Output()
	if err != nil {
		t.Fatalf("ffprobe: %v (run scripts/setup.sh)", err)
	}
	if got := strings.TrimSpace(string(probe)); got != "h264,480,360,0,30" {
		t.Errorf("ffprobe: %q, want h264 480x360 without B-frames, 30 frames", got)
	}
	if fi, err := os.Stat(out); err != nil || fi.Size() < 1000 {
		t.Errorf("clip: %v %v", fi, err)
	}
}

func TestValidate(t *testing.T) {
	s, _, _ := Standard()
	s.Width = 481
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "481") {
		t.Errorf("odd width: %v", err)
	}
	s, _, _ = Standard()
	s.Effects[0].Kind = "smoke"
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), strconv.Quote("smoke")) {
		t.Errorf("bad effect: %v", err)
	}
	bad := gocv.NewMat()
	defer bad.Close()
	if _, err := NewRenderer(Scenario{Width: 4, Height: 4, FPS: 1, Duration: 1}, bad); err == nil {
		t.Error("empty background accepted")
	}
}
