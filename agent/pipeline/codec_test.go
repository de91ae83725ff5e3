package pipeline

import (
	"testing"
	"time"
)

// TestDecoderFromFirstUnit: a pipeline left at the default codec that
// gets an H.265 camera opens an H.265 decoder straight away (the codec of
// the SDP track the units carry), not an H.264 one to be re-opened.
func TestDecoderFromFirstUnit(t *testing.T) {
	checkMats(t)
	aus, _ := loadClip(t, clipPath(t, "vtest_h265.mp4"))
	p, err := New(Config{FPS: 1000}, nil, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := p.newStage()
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	if s.dec != nil {
		t.Fatal("decoder opened before the first access unit")
	}
	pictures := 0
	for _, au := range aus[:30] {
		h, err := s.handle(AccessUnit{NALUs: au.NALUs, PTS: au.PTS, RandomAccess: au.RandomAccess, Received: time.Now(), Codec: "h265"})
		if err != nil {
			t.Fatal(err)
		}
		if h.f != nil {
			pictures++
			h.f.Release()
		}
	}
	if st := s.dec.Stats(); s.dec.Codec() != "h265" || st.CodecChanges != 0 || pictures < 25 {
		t.Errorf("codec %s, %d codec changes, %d pictures", s.dec.Codec(), st.CodecChanges, pictures)
	}
}
