package pipeline

import (
	"bytes"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// TestAnalyzerErrorsReportedOnce: every analyzer error goes to
// Config.AnalyzerFailed (the agent's one summariser) and the pipeline
// logs none itself; without the callback the pipeline's own summariser
// logs the first at once and the rest in one line when Run ends, the
// counts adding up to every error.
func TestAnalyzerErrorsReportedOnce(t *testing.T) {
	checkMats(t)
	aus, _ := loadClip(t, clipPath(t, "vtest_h264.mp4"))
	for _, withCallback := range []bool{true, false} {
		var logs bytes.Buffer
		log := slog.New(slog.NewTextHandler(&logs, nil))
		var mu sync.Mutex
		calls := 0
		cfg := Config{FPS: 1000}
		if withCallback {
			cfg.AnalyzerFailed = func(analyzer string, err error) {
				mu.Lock()
				defer mu.Unlock()
				if analyzer == "recorder" && err != nil {
					calls++
				}
			}
		}
		p, err := New(cfg, []Analyzer{&recorder{fail: true}}, nil, nil, log)
		if err != nil {
			t.Fatal(err)
		}
		stop := start(t, p)
		pushAll(p, aus[:40], 0)
		waitIdle(t, p)
		stop()
		st := p.Stats()
		if st.AnalyzerErrors == 0 {
			t.Fatalf("no analyzer errors counted: %+v", st)
		}
		lines := strings.Count(logs.String(), `msg="analyzer failed"`)
		if withCallback {
			if uint64(calls) != st.AnalyzerErrors || lines != 0 {
				t.Errorf("callback: %d calls for %d errors, %d lines logged by the pipeline (want 0):\n%s", calls, st.AnalyzerErrors, lines, logs.String())
			}
			continue
		}
		sum := 0
		for _, m := range regexp.MustCompile(`msg="analyzer failed" analyzer=recorder err=\S+.* count=(\d+)`).FindAllStringSubmatch(logs.String(), -1) {
			n, _ := strconv.Atoi(m[1])
			sum += n
		}
		if lines < 1 || lines > 2 || uint64(sum) != st.AnalyzerErrors {
			t.Errorf("own summary: %d lines counting %d errors, want 1–2 lines counting %d:\n%s", lines, sum, st.AnalyzerErrors, logs.String())
		}
	}
}
