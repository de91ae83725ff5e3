package detpool

import (
	"context"
	"image"
	"slices"
	"testing"
	"time"

	"github.com/pantau/pantau/vision"
	"github.com/pantau/pantau/vision/motion"
)

// startPool runs p until the test ends.
func startPool(t *testing.T, p *Pool) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		p.Close()
	})
}

// Four cameras share one worker. While the worker is stuck, every camera
// keeps analysing without waiting; a camera's newer frame replaces its
// waiting one (counted); once the worker is free, every camera is served
// before any camera is served twice.
func TestPoolMoreCamerasThanWorkers(t *testing.T) {
	g := &gated{gate: make(chan struct{})}
	m := newRec()
	p, err := New(Config{Workers: 1, New: func() (Inferer, error) { return g, nil }, Metrics: m})
	if err != nil {
		t.Fatal(err)
	}
	startPool(t, p)
	const ncam = 4
	var clients []*Client
	for i := range ncam {
		// Camera i's frames are 320+10i wide: the stand-in model tells
		// the cameras apart by that.
		clients = append(clients, p.Client(ClientConfig{Camera: "cam" + string(rune('a'+i)), MaxRate: 100}, fixedBlobs{}))
	}
	analyse := func(i int, at time.Duration) time.Duration {
		f := grayFrame(320+10*i, 240, t0.Add(at))
		defer f.Close()
		var r vision.Result
		start := time.Now()
		if err := clients[i].Analyze(f, &r); err != nil {
			t.Fatal(err)
		}
		return time.Since(start)
	}
	// Frame 0 of each camera is its first full-frame pass; the worker takes
	// the first job and blocks on the gate.
	for i := range ncam {
		analyse(i, 0)
	}
	waitFor(t, func() bool { return len(g.served()) == 1 })
	// Three more frames each while the worker is stuck: none may wait.
	for k := 1; k <= 3; k++ {
		for i := range ncam {
			// A new full-frame pass is due every frame with FullEvery 1 ns.
			clients[i].cfg.FullEvery = time.Nanosecond
			if d := analyse(i, time.Duration(k)*200*time.Millisecond); d > 100*time.Millisecond {
				t.Errorf("camera %d frame %d: Analyze took %v with the pool stuck", i, k, d)
			}
		}
	}
	first := g.served()[0]
	firstCam := (first - 320) / 10
	// The three other cameras had one job waiting, replaced three times;
	// the first camera had none waiting at its second frame.
	for i := range ncam {
		want := 3
		if i == firstCam {
			want = 2
		}
		if got := m.get(clients[i].cfg.Camera + "/" + SkipReplaced); got != want {
			t.Errorf("%s: %d frames counted as replaced, want %d", clients[i].cfg.Camera, got, want)
		}
	}
	if m.maxQ != ncam-1 && m.maxQ != ncam {
		t.Errorf("queue length peaked at %d, want at most one job per camera (%d)", m.maxQ, ncam)
	}
	// Release the worker: it serves the four waiting jobs, the first
	// camera last (it was served most recently).
	close(g.gate)
	waitFor(t, func() bool { return len(g.served()) == 1+ncam })
	order := g.served()[1:]
	if order[len(order)-1] != first {
		t.Errorf("served %v after %d: the camera served first should come last", order, first)
	}
	slices.Sort(order)
	if !slices.Equal(slices.Compact(order), []int{320, 330, 340, 350}) {
		t.Errorf("served %v: want each camera once", order)
	}
}

// A camera that asks more often than its max_rate is skipped with reason
// "rate", and only frames with motion (plus the periodic full pass) go to
// the detector.
func TestClientRateAndMotionOnly(t *testing.T) {
	g := &gated{person: true}
	m := newRec()
	w, h := 640, 480
	still := NewInline(g, ClientConfig{Camera: "still", MaxRate: 2}, fixedBlobs{}, m)
	busy := NewInline(&gated{person: true}, ClientConfig{Camera: "busy", MaxRate: 2},
		fixedBlobs{[]motion.Blob{blob(image.Rect(100, 100, 140, 200), w, h)}}, m)
	defer still.Close()
	defer busy.Close()
	var sawCoast, sawPerson bool
	for k := range 50 { // 10 s at 5 fps
		for _, c := range []*Client{still, busy} {
			f := grayFrame(w, h, t0.Add(time.Duration(k)*200*time.Millisecond))
			var r vision.Result
			if err := c.Analyze(f, &r); err != nil {
				t.Fatal(err)
			}
			f.Close()
			if c == busy {
				sawCoast = sawCoast || r.Coast
				for _, d := range r.Detections {
					sawPerson = sawPerson || d.Class == "person"
				}
			}
		}
	}
	if n := len(g.served()); n != 1 {
		t.Errorf("still camera: %d inferences in 10 s, want only the first full-frame pass", n)
	}
	rate := m.get("busy/" + SkipRate)
	if rate < 20 || rate > 35 {
		t.Errorf("busy camera: %d frames skipped for rate, want about 30 of 50 (2 per second of 5)", rate)
	}
	if !sawCoast || !sawPerson {
		t.Errorf("busy camera: coast frames %v, person detections %v; want both", sawCoast, sawPerson)
	}
}

// A detector slower than the workers can keep up with lowers every
// camera's rate, and the frames that costs are counted as "budget".
func TestSlowDetectorLowersRate(t *testing.T) {
	g := &gated{delay: 100 * time.Millisecond}
	m := newRec()
	p, err := New(Config{Workers: 1, New: func() (Inferer, error) { return g, nil }, Metrics: m})
	if err != nil {
		t.Fatal(err)
	}
	startPool(t, p)
	w, h := 640, 480
	var clients []*Client
	for i := range 4 {
		clients = append(clients, p.Client(ClientConfig{Camera: "cam" + string(rune('a'+i)), MaxRate: 5},
			fixedBlobs{[]motion.Blob{blob(image.Rect(100, 100, 140, 200), w, h)}}))
	}
	// 4 cameras × 5 inferences/s × 100 ms = 2 s of work per second for one
	// worker: over budget.
	start := time.Now()
	for k := 0; time.Since(start) < 5*time.Second; k++ {
		for _, c := range clients {
			f := grayFrame(w, h, t0.Add(time.Duration(k)*200*time.Millisecond))
			var r vision.Result
			if err := c.Analyze(f, &r); err != nil {
				t.Fatal(err)
			}
			f.Close()
		}
		time.Sleep(200 * time.Millisecond)
	}
	// The scale comes back up once the skipped frames relieve the
	// worker, so the lowest it went is what shows the budget at work.
	m.mu.Lock()
	scale := m.least
	m.mu.Unlock()
	budget := 0
	for _, c := range clients {
		budget += m.get(c.cfg.Camera + "/" + SkipBudget)
	}
	t.Logf("lowest rate scale %.2f, %d frames skipped for budget", scale, budget)
	if scale >= 0.95 || budget == 0 {
		t.Errorf("lowest rate scale %.2f and %d budget skips: a detector over budget must lower the rate, counted", scale, budget)
	}
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
