package web

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pantau/pantau/agent/event"
	"github.com/pantau/pantau/hub/config"
	"github.com/pantau/pantau/hub/internal/fixture"
	"github.com/pantau/pantau/hub/store"
)

// seed stores a small province in a real SQLite file: two regions, three
// sites (one not in hub.yaml), counts for today, yesterday and last week,
// a gap, a duplicate, an offline camera and an open tamper alert.
func seed(t *testing.T, now time.Time) (*config.Config, *store.Store) {
	t.Helper()
	cfg, err := config.Parse([]byte(`province: Jawa Tengah
sites:
  - {name: smg-1, region: Kota Semarang, display_name: Simpang Lima}
  - {name: ska-1, region: Kota Surakarta, display_name: Gladak}
`))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "hub.db"), store.Options{Location: cfg.Location()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var msgs []store.Msg
	add := func(m event.Message, seq uint64, recv time.Time) {
		_, b := fixture.Wire(m, "", seq)
		h := m.Body.Head()
		ts, _ := time.Parse(time.RFC3339Nano, h.TS)
		msgs = append(msgs, store.Msg{ID: h.ID, Schema: h.Schema, Site: h.Site, Agent: h.Agent, Camera: h.Camera, Seq: h.Seq, TS: ts, Recv: recv, Payload: b})
	}
	last := map[string]uint64{}
	mid := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	for _, cam := range []struct{ site, agent, name string }{{"smg-1", "box-1", "gate"}, {"smg-1", "box-1", "plaza"}, {"ska-1", "box-7", "north"}, {"new-site", "box-9", "lobby"}} {
		add(fixture.AgentStatus(cam.site, cam.agent, now, "online", 2), 0, now)
		state := "online"
		if cam.name == "plaza" {
			state = "offline"
		}
		add(fixture.CameraStatus(cam.site, cam.agent, cam.name, now, state), 0, now)
		seq := uint64(0)
		for _, back := range []time.Duration{7 * 24 * time.Hour, 24 * time.Hour, 0} {
			for hr := 0; hr <= now.Hour(); hr++ {
				end := mid.Add(-back + time.Duration(hr)*time.Hour + 30*time.Minute)
				seq++
				if cam.name == "gate" && back == 0 && hr == 0 {
					continue // a gap
				}
				add(fixture.Counts(cam.site, cam.agent, cam.name, end, time.Minute, 3+hr%5+int(back/(24*time.Hour)), 2, hr%3), seq, end)
			}
			if back == 0 {
				for day := 2; day < 14; day++ {
					seq++
					add(fixture.Counts(cam.site, cam.agent, cam.name, mid.Add(-time.Duration(day)*24*time.Hour+12*time.Hour), time.Minute, 40+day, 20, 3), seq, now)
				}
			}
		}
		last[cam.name] = seq
	}
	add(fixture.Tamper("smg-1", "box-1", "gate", now.Add(-20*time.Minute), "covered", "raised"), last["gate"]+1, now)
	if _, err := st.Apply(context.Background(), msgs); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Apply(context.Background(), msgs[len(msgs)-2:]); err != nil { // a replay: duplicates
		t.Fatal(err)
	}
	return cfg, st
}

func chromium(t *testing.T) string {
	for _, n := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	t.Fatal("chromium not found: run scripts/setup.sh (apt-get install chromium)")
	return ""
}

// TestDashboardOnPhone renders each level of the dashboard in headless
// Chromium at a phone's size, checks what it shows, and writes screenshots
// to $PANTAU_SCREENSHOTS (a temporary directory when unset).
func TestDashboardOnPhone(t *testing.T) {
	now := time.Now().UTC()
	if now.Hour() == 0 {
		now = now.Add(time.Hour) // keep "today" with at least one full hour behind it
	}
	cfg, st := seed(t, now)
	srv := httptest.NewServer(New(Options{Config: cfg, Data: st}))
	defer srv.Close()
	shots := os.Getenv("PANTAU_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox, chromedp.WindowSize(390, 844), chromedp.Flag("hide-scrollbars", true))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile)); err != nil {
		t.Fatal(err)
	}
	var errs []string
	pages := []struct {
		name, hash string
		want       []string
	}{
		{"hub-province", "#/", []string{"Jawa Tengah", "Kota Semarang", "Kota Surakarta", "unassigned", "3/4", "cameras online", "tamper", "Per hour today", "Per day, 14 days", "person in"}},
		{"hub-region", "#/region/Kota%20Semarang", []string{"Simpang Lima", "1/2 online", "1 missing"}},
		{"hub-site", "#/site/smg-1", []string{"gate", "plaza", "offline", "box-1", "CSV, last 7 days", "covered", "yesterday", "last week"}},
		{"hub-camera", "#/camera/smg-1/box-1/gate", []string{"Completeness", "duplicates dropped", "spool lost"}},
	}
	for _, p := range pages {
		err := chromedp.Do(ctx,
			chromedp.Navigate(srv.URL+"/"+p.hash),
			chromedp.Reload(), // a hash change alone keeps the old page's ready mark
			chromedp.WaitVisible(`body[data-ready="1"]`),
		)
		if err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
		text, err := chromedp.Run(ctx, chromedp.Text(`body`))
		if err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
		if err := os.WriteFile(filepath.Join(shots, p.name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(text, "Could not load") {
			errs = append(errs, fmt.Sprintf("%s: %s", p.name, text))
		}
		for _, w := range p.want {
			if !strings.Contains(text, w) {
				errs = append(errs, fmt.Sprintf("%s lacks %q", p.name, w))
			}
		}
		overflow, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
		if err != nil {
			t.Fatal(err)
		}
		if overflow {
			errs = append(errs, p.name+": wider than the phone's screen")
		}
	}
	for _, e := range errs {
		t.Error(e)
	}
	t.Logf("screenshots in %s", shots)
}
