package decode

import "testing"

// TestStartWithoutIDR: an intra-refresh H.264 stream joined after its
// only IDR starts at the next recovery-point SEI; the pictures flagged
// until the refresh completes are not errors and not handed out, and the
// rest are.
func TestStartWithoutIDR(t *testing.T) {
	checkMats(t)
	aus, info := loadClip(t, "cam_noidr_h264.mp4")
	idrs := 0
	for _, au := range aus[10:] {
		if isRandomAccess(false, au.NALUs) {
			idrs++
		}
	}
	if idrs != 0 {
		t.Fatalf("clip has %d IDRs after its start: not an intra-refresh clip", idrs)
	}
	d, err := New(Options{AnalysisWidth: 160})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	// As from an RTSP SDP: the file has them only before its IDR.
	d.SetParameterSets(nil, info.SPS, info.PPS)
	frames := 0
	for _, au := range aus[10:] {
		f, err := d.Decode(unit(au), true)
		if err != nil {
			t.Fatalf("pts %v: %v (stats %+v)", au.PTS, err, d.Stats())
		}
		if f != nil {
			frames++
			f.Release()
		}
	}
	st := d.Stats()
	t.Logf("%d units, %d frames, waiting %d, recovering %d, errors %d", len(aus)-10, frames, st.WaitingKey, st.Recovering, st.Errors)
	if frames < (len(aus)-10)*3/4 || st.Errors != 0 {
		t.Errorf("%d frames of %d units, %d errors", frames, len(aus)-10, st.Errors)
	}
}
