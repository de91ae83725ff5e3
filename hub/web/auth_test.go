package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/pantau/pantau/agent/httpauth"
	"github.com/pantau/pantau/hub/config"
)

// authServer serves the seeded province behind the agent's HTTP auth with
// user "leader" (password "pantau-pass") and a bearer token.
func authServer(t *testing.T, metricsOpen bool) *httptest.Server {
	t.Helper()
	cfg, st := seed(t, time.Now().UTC())
	dir := t.TempDir()
	hash, err := httpauth.HashPassword("pantau-pass")
	if err != nil {
		t.Fatal(err)
	}
	users, tokens := filepath.Join(dir, "users"), filepath.Join(dir, "tokens")
	os.WriteFile(users, []byte("leader:"+hash+"\n"), 0o600)
	os.WriteFile(tokens, []byte("scrape-token-0123456789abcdef\n"), 0o600)
	auth, err := httpauth.New(httpauth.Config{Listen: "127.0.0.1:0", UsersFile: users, TokensFile: tokens})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(New(Options{Config: cfg, Data: st, Auth: auth, MetricsOpen: metricsOpen, Metrics: promhttp.Handler()}))
	t.Cleanup(srv.Close)
	return srv
}

func TestAuth(t *testing.T) {
	srv := authServer(t, false)
	cases := []struct {
		path, user, pass, bearer string
		want                     int
	}{
		{"/api/v1/cameras", "", "", "", 401},
		{"/api/v1/cameras", "leader", "wrong", "", 401},
		{"/api/v1/cameras", "leader", "pantau-pass", "", 200},
		{"/api/v1/counts?format=csv", "", "", "scrape-token-0123456789abcdef", 200},
		{"/metrics", "", "", "", 401},
		{"/metrics", "", "", "scrape-token-0123456789abcdef", 200},
		{"/healthz", "", "", "", 200},
		{"/", "", "", "", 200}, // the page and its login form
		{"/api/v1/session", "", "", "", 200},
	}
	for _, c := range cases {
		req, _ := http.NewRequest("GET", srv.URL+c.path, nil)
		if c.user != "" {
			req.SetBasicAuth(c.user, c.pass)
		}
		if c.bearer != "" {
			req.Header.Set("Authorization", "Bearer "+c.bearer)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s (user %q, token %v): %d, want %d", c.path, c.user, c.bearer != "", resp.StatusCode, c.want)
		}
	}
	open := authServer(t, true)
	if resp, err := http.Get(open.URL + "/metrics"); err != nil || resp.StatusCode != 200 {
		t.Errorf("/metrics with http.metrics_open: %v %v", resp.StatusCode, err)
	}
}

// TestListenOffLoopbackNeedsAuth: hub.yaml listening on every interface
// without credentials is refused, naming the key.
func TestListenOffLoopbackNeedsAuth(t *testing.T) {
	_, err := config.Parse([]byte("http: {listen: '0.0.0.0:9300'}"))
	if err == nil || !strings.Contains(err.Error(), "http.auth.users_file") {
		t.Errorf("error %v, want one naming http.auth.users_file", err)
	}
}

// TestDashboardLogin signs in through the page's own form in Chromium.
func TestDashboardLogin(t *testing.T) {
	srv := authServer(t, false)
	shots := os.Getenv("PANTAU_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	os.MkdirAll(shots, 0o755)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium(t)), chromedp.NoSandbox)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile),
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(`form.login`),
		chromedp.SendKeys(`#user`, "leader"),
		chromedp.SendKeys(`#password`, "wrong"),
		chromedp.Click(`form.login button`),
		chromedp.WaitVisible(`//p[contains(., "Wrong user name or password")]`),
	)
	if err != nil {
		t.Fatal(err)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(shots, "hub-login.png"), png, 0o644)
	err = chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(`form.login`),
		chromedp.SendKeys(`#user`, "leader"),
		chromedp.SendKeys(`#password`, "pantau-pass"),
		chromedp.Click(`form.login button`),
		chromedp.WaitVisible(`//h1[contains(., "Jawa Tengah")]`),
	)
	if err != nil {
		t.Fatalf("after a good login the province did not show: %v", err)
	}
}
