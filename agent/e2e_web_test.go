package agent

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/pantau/pantau/agent/camsim"
	"github.com/pantau/pantau/agent/config"
	"github.com/pantau/pantau/agent/httpauth"
	"github.com/pantau/pantau/agent/testbroker"
	"github.com/pantau/pantau/devices/onvif/onvifsim"
)

const (
	webUser = "tech"
	webPass = "ladder-and-phone"
)

// chromium finds Debian's chromium or fails with the install step.
func chromium(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	t.Fatal("chromium not found: run scripts/setup.sh (apt-get install chromium chromium-driver)")
	return ""
}

// browser starts one headless chromium for the whole test.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.Flag("headless", true), chromedp.Flag("no-sandbox", true), chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true), chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelA() })
	// The first run starts the browser; it must not carry a timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return ctx
}

// shots is the screenshot folder: $PANTAU_SCREENSHOTS or a temp dir.
func shots(t *testing.T) string {
	dir := os.Getenv("PANTAU_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", dir)
	return dir
}

func screenshot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	eval[any](t, ctx, "window.scrollTo(0, 0)")
	time.Sleep(300 * time.Millisecond)
	b, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func run(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(c, actions...); err != nil {
		if b, serr := chromedp.Run(ctx, chromedp.FullScreenshot(100)); serr == nil {
			_ = os.WriteFile(filepath.Join(os.TempDir(), "pantau-webui-failure.png"), b, 0o644)
		}
		t.Fatalf("%s: %v (page as it was: %s)", what, err, filepath.Join(os.TempDir(), "pantau-webui-failure.png"))
	}
}

// canvasPoint converts normalised picture coordinates to page pixels.
func canvasPoint(t *testing.T, ctx context.Context, x, y float64) (float64, float64) {
	t.Helper()
	// Touches and clicks land in the viewport: bring the picture into it.
	r := eval[[]float64](t, ctx, `(() => { const c = document.getElementById("live-canvas"); c.scrollIntoView({block: "nearest"});
		const b = c.getBoundingClientRect(); return [b.left, b.top, b.width, b.height]; })()`)
	return r[0] + x*r[2], r[1] + y*r[3]
}

// TestWebUI drives the UI in headless chromium against the real agent
// with camsim and mosquitto: log in, see the camera online, draw a line
// with the mouse, name it, apply, get line_cross events with its name on
// MQTT; a stale edit gets 412; a phone-sized window draws a zone by touch.
//
// It runs in a network namespace of its own (only loopback), so the
// discovery round it starts from the UI finds a simulated ONVIF camera
// and nothing of the host's LAN, and chromium reaches nothing else.
func TestWebUI(t *testing.T) {
	if !onvifsim.InNetns() {
		onvifsim.ReexecInNetns(t, "TestWebUI")
		return
	}
	ctx := browser(t)
	dir := shots(t)
	broker := testbroker.Start(t)
	clip := needClip(t, "vtest_h264.mp4")
	cam := startCam(t, camsim.Config{Clip: clip})
	gateStream, err := camsim.New(camsim.Config{Clip: clip, Addr: "127.0.0.2:0"})
	if err != nil {
		t.Fatal(err)
	}
	if err := gateStream.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(gateStream.Close)
	gate, err := onvifsim.New(onvifsim.Config{Manufacturer: "Acme", Model: "A1 <b>bold</b>", Serial: "AAA111",
		Addr: "127.0.0.2:0", DiscoveryAddr: "127.0.0.2", RTSPURL: gateStream.URL()})
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = gate.Run(t.Context()) }()
	t.Cleanup(gate.Close)
	listen := freeAddr(t)
	cfgDir := t.TempDir()
	var cfg *config.Config
	hash, err := httpauth.HashPassword(webPass)
	if err != nil {
		t.Fatal(err)
	}
	users := filepath.Join(cfgDir, "users")
	if err := os.WriteFile(users, []byte(webUser+":"+hash+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	yaml := fmt.Sprintf(`# Site config: this comment must survive an edit from the UI.
site: s
agent: a
mqtt: {url: %q}
http:
  listen: %q
  auth:
    users_file: users # people log in with these
spool: {dir: %q}
counts: {interval: 2s}
discovery: {timeout: 2s}
cameras:
  - name: plaza # the walkway camera
    url: %q
    fps: 5
`, broker.URL(), listen, t.TempDir(), cam.URL())
	path := filepath.Join(cfgDir, "pantau.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err = config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	sub := testbroker.Subscribe(t, broker.URL(), "pantau/v1/#")
	ra := startAgentConfig(t, cfg, path)
	_ = ra
	base := "http://" + listen
	const prefix = "pantau/v1/s/a/"
	sub.WaitTopic(t, 30*time.Second, prefix+"plaza/status", `"online"`)

	// Log in.
	run(t, ctx, "login page", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("#login")))
	if eval[bool](t, ctx, `getComputedStyle(document.getElementById("nav")).display !== "none"`) {
		t.Error("the navigation shows before login")
	}
	screenshot(t, ctx, dir, "login-desktop")
	run(t, ctx, "log in",
		chromedp.SendKeys(chromedp.CSS("#user"), webUser), chromedp.SendKeys(chromedp.CSS("#password"), webPass), chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitVisible(chromedp.CSS(`#cameras .state[data-state="online"]`)))
	camText := text(t, ctx, "#cam-plaza")
	if !strings.Contains(camText, "plaza") || !strings.Contains(camText, "online") {
		t.Fatalf("cameras page shows %q", camText)
	}
	run(t, ctx, "thumbnail", chromedp.WaitVisible(chromedp.CSS(`#cam-plaza img[src*="snapshot.jpg"]`)), chromedp.Sleep(1500*time.Millisecond))
	screenshot(t, ctx, dir, "cameras-desktop")

	// Live view: draw a line by dragging across the walkway.
	run(t, ctx, "live view", chromedp.Navigate(base+"/#/camera/plaza"),
		chromedp.WaitVisible(chromedp.CSS("#live-canvas")), waitText("#live-status", "frame"), chromedp.Click(chromedp.CSS("#add-line")))
	x1, y1 := canvasPoint(t, ctx, 0.5, 0.15)
	x2, y2 := canvasPoint(t, ctx, 0.5, 0.9)
	run(t, ctx, "drag a line",
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x1, y1),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, x1, y1, chromedp.ButtonLeft, chromedp.ClickCount(1)),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, (x1+x2)/2, (y1+y2)/2, chromedp.ButtonLeft),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x2, y2, chromedp.ButtonLeft),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, x2, y2, chromedp.ButtonLeft, chromedp.ClickCount(1)),
		chromedp.WaitVisible(chromedp.CSS(`[data-key="lines[0].name"]`)))
	run(t, ctx, "name it and apply",
		chromedp.Clear(chromedp.CSS(`[data-key="lines[0].name"]`)), chromedp.SendKeys(chromedp.CSS(`[data-key="lines[0].name"]`), "walkway"),
		chromedp.Click(chromedp.CSS("#apply")), waitText("#apply-status", "Applied"))
	ev := payload(t, sub.WaitTopic(t, 60*time.Second, prefix+"plaza/event/line_cross", `"walkway"`))
	run(t, ctx, "boxes on the picture", waitText("#live-status", "frame"))
	screenshot(t, ctx, dir, "live-desktop")
	if ev["rule"] != "walkway" {
		t.Errorf("line_cross event %v, want rule walkway", ev)
	}
	checkFile(t, path, "walkway", "this comment must survive", "# the walkway camera")
	if _, err := os.Stat(path + ".bak"); err != nil {
		t.Errorf("no backup of the previous config: %v", err)
	}

	// XSS: a rule named like markup is refused by validation and shown as
	// text, never as HTML.
	run(t, ctx, "markup as a name",
		chromedp.Clear(chromedp.CSS(`[data-key="lines[0].name"]`)), chromedp.SendKeys(chromedp.CSS(`[data-key="lines[0].name"]`), `<img src=x onerror=alert(1)>`),
		chromedp.Click(chromedp.CSS("#apply")), waitText("#apply-status", "Not applied"))
	imgs := eval[int](t, ctx, `document.querySelectorAll('img[src="x"]').length`)
	errText := text(t, ctx, `[data-field="lines[0]"] .fielderr`)
	if imgs != 0 || !strings.Contains(errText, "name") {
		t.Errorf("markup name: %d injected images, field error %q", imgs, errText)
	}
	checkFile(t, path, "walkway") // refused: the file still holds the applied line

	// A stale edit: the file changes under the page; Apply gets 412.
	b, _ := os.ReadFile(path)
	if err := os.WriteFile(path, append(b, []byte("# edited by hand\n")...), 0o600); err != nil {
		t.Fatal(err)
	}
	run(t, ctx, "stale apply",
		chromedp.Clear(chromedp.CSS(`[data-key="lines[0].name"]`)), chromedp.SendKeys(chromedp.CSS(`[data-key="lines[0].name"]`), "walkway2"),
		chromedp.Click(chromedp.CSS("#apply")), waitText("#apply-status", "changed the config meanwhile"), chromedp.WaitVisible(chromedp.CSS("#reload-rules")))
	checkFile(t, path, "walkway", "# edited by hand")
	if b, _ := os.ReadFile(path); strings.Contains(string(b), "walkway2") {
		t.Fatal("a stale edit was written")
	}

	// The other pages, desktop.
	run(t, ctx, "events page", chromedp.Navigate(base+"/#/events"), chromedp.WaitVisible(chromedp.CSS("#events")), waitText("#events", "line_cross"))
	screenshot(t, ctx, dir, "events-desktop")
	run(t, ctx, "discovery page", chromedp.Navigate(base+"/#/discover"), chromedp.WaitVisible(chromedp.CSS("#run-discovery")),
		chromedp.Click(chromedp.CSS("#run-discovery")), waitText("#main", "1 device(s) found"))
	found := text(t, ctx, "#main")
	if !strings.Contains(found, "A1 <b>bold</b>") || !strings.Contains(found, gate.DeviceURL()) {
		t.Errorf("discovery page shows %q, want the model as text and the address", found)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll("#main b").length`); n != 0 {
		t.Errorf("a model name became %d HTML element(s)", n)
	}
	screenshot(t, ctx, dir, "discover-desktop")
	run(t, ctx, "add the found camera",
		chromedp.SendKeys(chromedp.CSS(`input[aria-label="Camera name"]`), "gate"),
		chromedp.Click(chromedp.CSS("#main .card button")), waitText("#main", "Added: gate"))
	checkFile(t, path, "name: gate", gate.DeviceURL())
	run(t, ctx, "two cameras", chromedp.Navigate(base+"/#/cameras"), chromedp.WaitVisible(chromedp.CSS(`#cam-gate .state[data-state="online"]`)))

	// Phone: 390×844 with touch; draw a zone by tapping its corners.
	run(t, ctx, "phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch),
		chromedp.Navigate(base+"/#/cameras"), chromedp.WaitVisible(chromedp.CSS(`#cameras .state[data-state="online"]`)))
	screenshot(t, ctx, dir, "cameras-phone")
	run(t, ctx, "phone live view", chromedp.Navigate(base+"/#/camera/plaza"), chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS("#live-canvas")), waitText("#live-status", "frame"), chromedp.Click(chromedp.CSS("#add-zone")))
	for _, p := range [][2]float64{{0.1, 0.5}, {0.4, 0.5}, {0.4, 0.95}, {0.1, 0.95}} {
		x, y := canvasPoint(t, ctx, p[0], p[1])
		run(t, ctx, "tap", chromedp.TapXY(x, y))
	}
	run(t, ctx, "finish zone", chromedp.Click(chromedp.CSS("#finish-shape")), chromedp.WaitVisible(chromedp.CSS(`[data-key="zones[0].name"]`)),
		chromedp.Clear(chromedp.CSS(`[data-key="zones[0].name"]`)), chromedp.SendKeys(chromedp.CSS(`[data-key="zones[0].name"]`), "bench"),
		chromedp.Click(chromedp.CSS("#apply")), waitText("#apply-status", "Applied"))
	// Move the zone's first corner by dragging it with a finger, add a mask
	// by taps, apply.
	fx, fy := canvasPoint(t, ctx, 0.1, 0.5)
	tx, ty := canvasPoint(t, ctx, 0.15, 0.45)
	run(t, ctx, "touch-drag a corner", touchDrag(fx, fy, tx, ty))
	run(t, ctx, "add a mask", chromedp.Click(chromedp.CSS("#add-mask")))
	for _, p := range [][2]float64{{0.7, 0.05}, {0.95, 0.05}, {0.95, 0.25}} {
		x, y := canvasPoint(t, ctx, p[0], p[1])
		run(t, ctx, "tap", chromedp.TapXY(x, y))
	}
	run(t, ctx, "finish mask and apply", chromedp.Click(chromedp.CSS("#finish-shape")),
		chromedp.WaitVisible(chromedp.CSS(`[data-field="masks[0]"]`)),
		chromedp.Click(chromedp.CSS("#apply")), waitText("#apply-status", "Applied"))
	screenshot(t, ctx, dir, "live-phone")
	checkFile(t, path, "bench", "walkway", "masks:")
	if c, err := config.Load(path); err != nil {
		t.Fatal(err)
	} else if z := c.Cameras[0].Zones; len(z) != 1 || math.Abs(z[0].Points[0].X-0.15) > 0.01 || math.Abs(z[0].Points[0].Y-0.45) > 0.01 {
		t.Errorf("zone after the touch drag: %+v, want its first corner at (0.15, 0.45)", z)
	} else if m := c.Cameras[0].Motion.Masks; len(m) != 1 || len(m[0]) != 3 {
		t.Errorf("masks %v, want one of 3 points", m)
	}
	// Delete the mask again.
	run(t, ctx, "delete the mask", chromedp.Click(chromedp.CSS(`[data-field="masks[0]"] [data-action="delete"]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`[data-field="masks[0]"]`)),
		chromedp.Click(chromedp.CSS("#apply")), waitText("#apply-status", "Applied"))
	if b, _ := os.ReadFile(path); strings.Contains(string(b), "masks") {
		t.Errorf("the deleted mask is still in the file:\n%s", b)
	}
	run(t, ctx, "phone events", chromedp.Navigate(base+"/#/events"), chromedp.WaitVisible(chromedp.CSS("#events")))
	screenshot(t, ctx, dir, "events-phone")
	run(t, ctx, "phone discovery", chromedp.Navigate(base+"/#/discover"), chromedp.WaitVisible(chromedp.CSS("#run-discovery")))
	screenshot(t, ctx, dir, "discover-phone")
	eval[any](t, ctx, `document.getElementById("logout").click()`)
	run(t, ctx, "phone login", chromedp.WaitVisible(chromedp.CSS("#login")))
	screenshot(t, ctx, dir, "login-phone")

	// After logout the API answers 401.
	resp, err := http.Get(base + "/api/v1/cameras")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("API without credentials: %d, want 401", resp.StatusCode)
	}
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(c, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// text is the text content of the first element matching a CSS selector.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	return eval[string](t, ctx, fmt.Sprintf(`(document.querySelector(%q) || {}).textContent || ""`, sel))
}

// touchDrag puts a finger down at (x1, y1), moves it to (x2, y2) in steps
// and lifts it.
func touchDrag(x1, y1, x2, y2 float64) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		send := func(typ input.DispatchTouchEventType, pts []*input.TouchPoint) error {
			_, err := cdp.Call(ctx, t, input.DispatchTouchEvent, input.DispatchTouchEventParams{Type: typ, TouchPoints: pts})
			return err
		}
		id := 1.0
		pt := func(x, y float64) []*input.TouchPoint { return []*input.TouchPoint{{X: x, Y: y, ID: &id}} }
		if err := send(input.DispatchTouchEventTypeTouchStart, pt(x1, y1)); err != nil {
			return err
		}
		for i := 1; i <= 5; i++ {
			f := float64(i) / 5
			if err := send(input.DispatchTouchEventTypeTouchMove, pt(x1+(x2-x1)*f, y1+(y2-y1)*f)); err != nil {
				return err
			}
		}
		return send(input.DispatchTouchEventTypeTouchEnd, []*input.TouchPoint{})
	})
}

// waitText waits until sel's text contains want.
func waitText(sel, want string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		expr := fmt.Sprintf(`(document.querySelector(%q) || {}).textContent || ""`, sel)
		for {
			s, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
			if err != nil {
				return err
			}
			if strings.Contains(s, want) {
				return nil
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("%s never showed %q (last %q)", sel, want, s)
			case <-time.After(200 * time.Millisecond):
			}
		}
	})
}

// checkFile asserts the config file holds every string and still passes
// `pantau check`'s validation.
func checkFile(t *testing.T, path string, want ...string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range want {
		if !strings.Contains(string(b), w) {
			t.Errorf("config file lacks %q:\n%s", w, b)
		}
	}
	if errs := (webBackend{}).Check(path); len(errs) > 0 {
		t.Errorf("config file fails pantau check: %v\n%s", errs, b)
	}
}

// startAgentConfig runs an agent on a loaded config until the test ends.
func startAgentConfig(t *testing.T, cfg *config.Config, path string) *runningAgent {
	t.Helper()
	logs := &testbroker.LogBuffer{}
	a, err := New(Options{Config: cfg, ConfigPath: path, Version: "test", Log: testLogger(t, logs)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ra := &runningAgent{Agent: a, cfg: cfg, cancel: cancel, done: make(chan error, 1), logs: logs}
	go func() { ra.done <- a.Run(ctx) }()
	t.Cleanup(func() { ra.stop(t) })
	return ra
}
