package pipeline

import (
	"testing"
)

// TestSetAnalyzersWhileRunning: analyzers swapped mid-stream take over
// from the next frame; once SetAnalyzers returns the old ones see no more
// frames, and decoding never stopped (every frame analysed by one or the
// other).
func TestSetAnalyzersWhileRunning(t *testing.T) {
	checkMats(t)
	aus, _ := loadClip(t, clipPath(t, "vtest_h264.mp4"))
	before, after := &recorder{}, &recorder{}
	p, err := New(Config{Decode: ModeFull}, []Analyzer{before}, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	stop := start(t, p)
	pushAll(p, aus[:50], 0)
	waitIdle(t, p)
	if err := p.SetAnalyzers([]Analyzer{after}); err != nil {
		t.Fatal(err)
	}
	seenBefore := before.count()
	pushAll(p, aus[50:100], 0)
	waitIdle(t, p)
	stop()
	if before.count() != seenBefore {
		t.Errorf("old analyzer saw %d frames after the swap", before.count()-seenBefore)
	}
	if st := p.Stats(); before.count()+after.count() != int(st.Analysed) || after.count() == 0 {
		t.Errorf("before %d + after %d frames, pipeline analysed %d", before.count(), after.count(), st.Analysed)
	}
	if err := p.SetAnalyzers([]Analyzer{nil}); err == nil {
		t.Error("a nil analyzer was accepted")
	}
}
