package decode

import (
	"errors"
	"math/rand"
	"testing"
	"time"

	"github.com/pantau/pantau/vision/clip"
)

// corrupt returns a copy of au with its picture NAL units damaged: bytes
// overwritten with random values, or cut short.
func corrupt(au clip.AccessUnit, rng *rand.Rand, truncate bool) clip.AccessUnit {
	out := au
	out.NALUs = make([][]byte, len(au.NALUs))
	for i, n := range au.NALUs {
		c := append([]byte(nil), n...)
		if len(c) > 20 && nalType(false, c) <= h264IDR {
			if truncate {
				c = c[:len(c)/3]
			} else {
				for j := 0; j < 8; j++ {
					c[4+rng.Intn(len(c)-4)] = byte(rng.Intn(256))
				}
			}
		}
		out.NALUs[i] = c
	}
	return out
}

func TestCorruptAccessUnits(t *testing.T) {
	checkMats(t)
	aus, _ := loadClip(t, "vtest_h264.mp4")
	aus = aus[:200]
	rng := rand.New(rand.NewSource(1))
	bad := map[int]bool{3: true, 30: true, 31: true, 60: true, 110: true}
	d, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	frames, afterLastBad, errs := 0, 0, 0
	for i, au := range aus {
		if bad[i] {
			au = corrupt(au, rng, i%2 == 0)
		}
		f, err := d.Decode(unit(au), true)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("AU %d: fatal error %v", i, err)
			}
			errs++
		}
		if f != nil {
			frames++
			if i > 125 {
				afterLastBad++
			}
			f.Release()
		}
	}
	// Garbage and empty units do not stop it either.
	for _, au := range []AccessUnit{{}, {NALUs: [][]byte{{}}}, {NALUs: [][]byte{{0x65, 0xff, 0xff, 0, 0, 0}}, RandomAccess: true}} {
		if f, err := d.Decode(au, true); f != nil {
			f.Release()
		} else if err != nil && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("garbage unit: fatal error %v", err)
		}
	}
	s := d.Stats()
	t.Logf("frames %d, errors returned %d, stats %+v", frames, errs, s)
	if s.Errors == 0 || s.WaitingKey == 0 {
		t.Errorf("corruption not counted: %+v", s)
	}
	// Pictures after the last bad unit's GOP (random access every 25) decode.
	if afterLastBad != 200-126 {
		t.Errorf("%d frames after AU 125, want %d", afterLastBad, 200-126)
	}
	if frames < 100 {
		t.Errorf("only %d of 200 frames survived 5 bad units", frames)
	}
	// And the decoder still decodes a clean stream afterwards.
	if n := decodeAll(t, d, aus[:50], nil); n != 50 {
		t.Errorf("%d frames from a clean stream after garbage, want 50", n)
	}
}

// TestEmptyUnits: empty units mid-stream are errors, not an end of stream.
func TestEmptyUnits(t *testing.T) {
	checkMats(t)
	aus, _ := loadClip(t, "vtest_h264.mp4")
	d, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	n := decodeAll(t, d, aus[:10], nil)
	for _, au := range []AccessUnit{{}, {NALUs: [][]byte{{}, {}}}} {
		if f, err := d.Decode(au, true); f != nil || !errors.Is(err, ErrCorrupt) {
			t.Fatalf("empty unit: %v %v", f, err)
		}
	}
	n += decodeAll(t, d, aus[10:50], nil)
	if n != 50 {
		t.Errorf("%d frames around empty units, want 50 (stats %+v)", n, d.Stats())
	}
}

func TestStartWithoutKeyframe(t *testing.T) {
	checkMats(t)
	aus, _ := loadClip(t, "vtest_h264.mp4")
	d, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	first := time.Duration(-1)
	n := decodeAll(t, d, aus[10:100], func(i int, f *frameInfo) {
		if first < 0 {
			first = f.PTS
		}
	})
	if first != aus[25].PTS || n != 75 || d.Stats().WaitingKey != 15 {
		t.Errorf("first frame pts %v (want %v), %d frames (want 75), stats %+v", first, aus[25].PTS, n, d.Stats())
	}
}

// TestParameterSetsOutOfBand: a source that sends SPS/PPS only in the SDP.
func TestParameterSetsOutOfBand(t *testing.T) {
	checkMats(t)
	aus, info := loadClip(t, "vtest_h265.mp4")
	d, err := New(Options{Codec: "h265"})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	d.SetParameterSets(info.VPS, info.SPS, info.PPS)
	stripped := make([]clip.AccessUnit, 50)
	for i, au := range aus[:50] {
		stripped[i] = au
		stripped[i].NALUs = nil
		for _, n := range au.NALUs {
			if t := nalType(true, n); t < h265VPS || t > h265PPS {
				stripped[i].NALUs = append(stripped[i].NALUs, n)
			}
		}
	}
	if n := decodeAll(t, d, stripped, nil); n != 50 {
		t.Errorf("%d frames without in-band parameter sets, want 50 (stats %+v)", n, d.Stats())
	}
}

func TestResolutionChange(t *testing.T) {
	checkMats(t)
	small, _ := loadClip(t, "vtest_h264.mp4")
	big, _ := loadClip(t, "cam1080_h264.mp4")
	var seq []clip.AccessUnit
	seq = append(seq, small[:30]...)
	seq = append(seq, big[:60]...)
	seq = append(seq, small[:30]...)
	d, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var sizes []int
	n := decodeAll(t, d, seq, func(i int, f *frameInfo) {
		if len(sizes) == 0 || sizes[len(sizes)-1] != f.SrcW*10000+f.W {
			sizes = append(sizes, f.SrcW*10000+f.W)
		}
		if want := map[int]int{768: 480, 1920: 360}[f.SrcW]; f.H != want {
			t.Fatalf("AU %d: %dx%d from %dx%d", i, f.W, f.H, f.SrcW, f.SrcH)
		}
	})
	if n != 120 || len(sizes) != 3 || d.Stats().SizeChanges != 2 {
		t.Errorf("%d frames, sizes %v, stats %+v", n, sizes, d.Stats())
	}
}

func TestCodecChange(t *testing.T) {
	checkMats(t)
	h264, _ := loadClip(t, "vtest_h264.mp4")
	h265, _ := loadClip(t, "vtest_h265.mp4")
	d, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if n := decodeAll(t, d, h264[:20], nil); n != 20 {
		t.Fatalf("h264: %d frames", n)
	}
	// H.265 units given to the H.264 decoder: no frames, no crash.
	for _, au := range h265[:20] {
		f, err := d.Decode(unit(au), true)
		if f != nil {
			f.Release()
		}
		if err != nil && !errors.Is(err, ErrCorrupt) {
			t.Fatal(err)
		}
	}
	if err := d.SetCodec("h265"); err != nil {
		t.Fatal(err)
	}
	if n := decodeAll(t, d, h265[:20], nil); n != 20 || d.Codec() != "h265" {
		t.Fatalf("h265 after SetCodec: %d frames", n)
	}
	if err := d.SetCodec("mjpeg"); err == nil {
		t.Error("SetCodec(mjpeg) did not fail")
	}
}

func TestTimestampsJump(t *testing.T) {
	checkMats(t)
	aus, _ := loadClip(t, "vtest_h264.mp4")
	d, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	// PTS jumps back by an hour, then forward by a day; frames keep them.
	jumps := []time.Duration{0, -time.Hour, 24 * time.Hour}
	for i, au := range aus[:75] {
		au.PTS += jumps[i/25]
		f, err := d.Decode(unit(au), true)
		if err != nil || f == nil {
			t.Fatalf("AU %d: %v %v", i, f, err)
		}
		if f.PTS != au.PTS {
			t.Fatalf("AU %d: frame pts %v, want %v", i, f.PTS, au.PTS)
		}
		f.Release()
	}
}

func TestKeyframesOnlyAndUnwanted(t *testing.T) {
	checkMats(t)
	aus, _ := loadClip(t, "vtest_h264.mp4")
	d, err := New(Options{KeyframesOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if n := decodeAll(t, d, aus[:200], nil); n != 8 || d.Stats().Sent != 8 {
		t.Errorf("keyframes only: %d frames, stats %+v", n, d.Stats())
	}
	// Back to full decoding: resumes at the next random-access unit.
	d.SetKeyframesOnly(false)
	if n := decodeAll(t, d, aus[210:300], nil); n != 75 {
		t.Errorf("full after keyframes: %d frames, want 75", n)
	}
	// Unwanted pictures are decoded (reference chain) but not handed out.
	for i, au := range aus[300:350] {
		f, err := d.Decode(unit(au), i%10 == 0)
		if err != nil {
			t.Fatal(err)
		}
		if (f != nil) != (i%10 == 0) {
			t.Fatalf("AU %d: frame %v", 300+i, f)
		}
		if f != nil {
			f.Release()
		}
	}
}

// TestEightK decodes a few 8K frames made by ffmpeg; the analysis size is
// capped whatever is asked.
func TestEightK(t *testing.T) {
	checkMats(t)
	p := ffmpegClip(t, t.TempDir(), "8k.mp4", "-f", "lavfi", "-i", "testsrc2=size=7680x4320:rate=5",
		"-frames:v", "3", "-c:v", "libx264", "-preset", "ultrafast", "-bf", "0", "-pix_fmt", "yuv420p")
	aus, info := loadClip(t, p)
	if info.Width != 7680 {
		t.Fatalf("clip is %dx%d", info.Width, info.Height)
	}
	for _, c := range []struct{ width, w, h int }{{0, 640, 360}, {10000, 1920, 1080}} {
		d, err := New(Options{AnalysisWidth: c.width, Colour: true})
		if err != nil {
			t.Fatal(err)
		}
		n := decodeAll(t, d, aus, func(i int, f *frameInfo) {
			if f.W != c.w || f.H != c.h || f.SrcW != 7680 {
				t.Errorf("8K frame %+v, want %dx%d", f, c.w, c.h)
			}
		})
		d.Close()
		if n != 3 {
			t.Errorf("%d 8K frames, want 3", n)
		}
	}
}
