package clip

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const clipDir = "../../testdata/clips/"

// needClip fails the test when the test clips were not made.
func needClip(t testing.TB, name string) string {
	t.Helper()
	p := clipDir + name
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("test clip %s missing: run scripts/testdata.sh (make testdata)", p)
	}
	return p
}

func TestOpenClips(t *testing.T) {
	cases := []struct {
		name          string
		codec         string
		width, height int
		fps           float64
		frames        int
		gop           int
	}{
		{"vtest_h264.mp4", "h264", 768, 576, 10, 795, 25},
		{"vtest_h265.mp4", "h265", 768, 576, 10, 795, 0},
		{"cam1080_h264.mp4", "h264", 1920, 1080, 25, 500, 50},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := Open(needClip(t, c.name))
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if r.Codec() != c.codec || r.Width() != c.width || r.Height() != c.height {
				t.Fatalf("got %s %dx%d, want %s %dx%d", r.Codec(), r.Width(), r.Height(), c.codec, c.width, c.height)
			}
			if r.FPS() != c.fps {
				t.Errorf("fps %v, want %v", r.FPS(), c.fps)
			}
			wantDur := time.Duration(float64(c.frames) / c.fps * float64(time.Second))
			if d := r.Duration() - wantDur; d < -time.Second || d > time.Second {
				t.Errorf("duration %v, want about %v", r.Duration(), wantDur)
			}
			vps, sps, pps := r.ParameterSets()
			if len(sps) == 0 || len(pps) == 0 || (c.codec == "h265") != (len(vps) > 0) {
				t.Errorf("parameter sets vps=%d sps=%d pps=%d bytes", len(vps), len(sps), len(pps))
			}
			n, keys := 0, 0
			var last time.Duration = -1
			for {
				au, err := r.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if n == 0 && !au.RandomAccess {
					t.Fatal("first access unit is not a random-access unit")
				}
				if au.RandomAccess {
					keys++
					// Random-access units carry their parameter sets in-band.
					if !hasNAL(c.codec, au.NALUs, map[string]int{"h264": 7, "h265": 33}[c.codec]) {
						t.Errorf("AU %d: random access without in-band SPS", n)
					}
				}
				if au.PTS <= last {
					t.Errorf("AU %d: pts %v after %v", n, au.PTS, last)
				}
				last = au.PTS
				for _, nal := range au.NALUs {
					if len(nal) == 0 || bytes.HasPrefix(nal, []byte{0, 0, 1}) {
						t.Fatalf("AU %d: bad NAL unit %x", n, nal[:min(len(nal), 8)])
					}
				}
				n++
			}
			if n != c.frames {
				t.Errorf("%d access units, want %d", n, c.frames)
			}
			if c.gop > 0 && keys != (c.frames+c.gop-1)/c.gop {
				t.Errorf("%d random-access units, want %d", keys, (c.frames+c.gop-1)/c.gop)
			}
			if _, err := r.Next(); !errors.Is(err, io.EOF) {
				t.Errorf("Next after end: %v, want io.EOF", err)
			}
		})
	}
}

func hasNAL(codec string, nalus [][]byte, typ int) bool {
	for _, n := range nalus {
		if NALType(codec, n) == typ {
			return true
		}
	}
	return false
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.mp4")
	if err := os.WriteFile(garbage, []byte(strings.Repeat("not a video ", 100)), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		path string
		want string
	}{
		{filepath.Join(dir, "missing.mp4"), "missing.mp4: No such file"},
		{garbage, "garbage.mp4"},
		{"../../testdata/vtest.avi", "unsupported video codec"},
	}
	for _, c := range cases {
		_, err := Open(c.path)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Open(%s) = %v, want error containing %q", c.path, err, c.want)
		}
	}
}

func TestReadAll(t *testing.T) {
	aus, info, err := ReadAll(needClip(t, "vtest_h265.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	if len(aus) != 795 || info.Codec != "h265" || len(info.VPS) == 0 {
		t.Fatalf("got %d AUs, %+v", len(aus), info)
	}
	// Slices are the caller's: writing one AU must not change another.
	a0 := append([]byte(nil), aus[0].NALUs[0]...)
	for i := range aus[1].NALUs[0] {
		aus[1].NALUs[0][i] = 0xff
	}
	if !bytes.Equal(a0, aus[0].NALUs[0]) {
		t.Fatal("access units share memory")
	}
}

func TestSplitAnnexB(t *testing.T) {
	cases := []struct {
		in   []byte
		want [][]byte
	}{
		{nil, nil},
		{[]byte{0, 0, 1}, nil},
		{[]byte{0, 0, 0, 1, 0x67, 1, 2, 0, 0, 1, 0x68, 3}, [][]byte{{0x67, 1, 2}, {0x68, 3}}},
		{[]byte{9, 9, 0, 0, 1, 0x65, 0, 0, 3, 1, 0, 0}, [][]byte{{0x65, 0, 0, 3, 1}}},
	}
	for _, c := range cases {
		got := SplitAnnexB(c.in)
		if len(got) != len(c.want) {
			t.Fatalf("SplitAnnexB(%x) = %x, want %x", c.in, got, c.want)
		}
		for i := range got {
			if !bytes.Equal(got[i], c.want[i]) {
				t.Fatalf("SplitAnnexB(%x) = %x, want %x", c.in, got, c.want)
			}
		}
	}
}
