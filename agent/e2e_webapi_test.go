package agent

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/agent/camsim"
	"github.com/pantau/pantau/agent/config"
	"github.com/pantau/pantau/agent/httpauth"
	"github.com/pantau/pantau/agent/testbroker"
)

// apiClient calls the agent's /api/v1 with Basic auth or a session.
type apiClient struct {
	t    *testing.T
	base string
	user string
	pass string
}

func (c apiClient) do(method, path, body string, hdr map[string]string) (int, http.Header, string) {
	c.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if c.user != "" {
		req.SetBasicAuth(c.user, c.pass)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// TestWebAPI checks every status code of /api/v1 against the real agent
// (camsim, mosquitto), CSRF and cross-site attempts included.
func TestWebAPI(t *testing.T) {
	broker := testbroker.Start(t)
	cam := startCam(t, camsim.Config{Clip: needClip(t, "vtest_h264.mp4")})
	listen := freeAddr(t)
	dir := t.TempDir()
	hash, err := httpauth.HashPassword(webPass)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "users"), []byte(webUser+":"+hash+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	token := "0123456789abcdef0123456789abcdef"
	if err := os.WriteFile(filepath.Join(dir, "tokens"), []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "pantau.yaml")
	yaml := fmt.Sprintf(`site: s
agent: a
mqtt: {url: %q}
http: {listen: %q, auth: {users_file: users, tokens_file: tokens}}
spool: {dir: %q}
cameras:
  - name: plaza
    url: %q
    lines:
      - name: door   # the shop door
        points: [[0.5, 0.1], [0.5, 0.9]]
        anchor: center
    motion:
      masks: [[[0, 0], [0.1, 0], [0.1, 0.1]]]
`, broker.URL(), listen, dir, cam.URL())
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	sub := testbroker.Subscribe(t, broker.URL(), "pantau/v1/#")
	startAgentConfig(t, cfg, path)
	sub.WaitTopic(t, 30*time.Second, "pantau/v1/s/a/plaza/status", `"online"`)
	base := "http://" + listen
	anon := apiClient{t: t, base: base}
	tech := apiClient{t: t, base: base, user: webUser, pass: webPass}
	want := func(what string, got, code int, body string) {
		t.Helper()
		if got != code {
			t.Errorf("%s: %d, want %d: %s", what, got, code, body)
		}
	}

	// 401 without credentials, on every API route and on /metrics.
	for _, p := range []string{"/api/v1/cameras", "/api/v1/cameras/plaza/rules", "/api/v1/cameras/plaza/snapshot.jpg", "/metrics", "/snapshot/plaza.jpg"} {
		code, _, body := anon.do("GET", p, "", nil)
		want("GET "+p+" anonymous", code, 401, body)
	}
	code, _, body := anon.do("GET", "/healthz", "", nil)
	want("healthz", code, 200, body)
	code, _, body = anon.do("GET", "/metrics", "", map[string]string{"Authorization": "Bearer " + token})
	want("metrics with token", code, 200, body)

	// 200: cameras.
	code, _, body = tech.do("GET", "/api/v1/cameras", "", nil)
	want("cameras", code, 200, body)
	var cams []map[string]any
	if err := json.Unmarshal([]byte(body), &cams); err != nil || len(cams) != 1 {
		t.Fatalf("cameras: %v %s", err, body)
	}
	for _, k := range []string{"name", "state", "width", "height", "fps"} {
		if _, ok := cams[0][k]; !ok {
			t.Errorf("cameras[0] lacks %q: %s", k, body)
		}
	}
	// Snapshot and a stream frame.
	code, hdr, body := tech.do("GET", "/api/v1/cameras/plaza/snapshot.jpg", "", nil)
	if code != 200 || hdr.Get("Content-Type") != "image/jpeg" || !strings.HasPrefix(body, "\xff\xd8") {
		t.Errorf("snapshot: %d %s", code, hdr.Get("Content-Type"))
	}
	code, _, body = tech.do("GET", "/api/v1/cameras/nope/snapshot.jpg", "", nil)
	want("snapshot of unknown camera", code, 404, body)
	checkFeed(t, base, tech)
	checkMJPEG(t, base, tech)

	// Rules: 200 with ETag, in the config's own keys.
	code, hdr, body = tech.do("GET", "/api/v1/cameras/plaza/rules", "", nil)
	want("rules", code, 200, body)
	etag := hdr.Get("ETag")
	if etag == "" || !strings.Contains(body, `"anchor":"center"`) || !strings.Contains(body, `"points":[[0.5,0.1],[0.5,0.9]]`) {
		t.Fatalf("rules: ETag %q body %s", etag, body)
	}
	code, _, body = tech.do("GET", "/api/v1/cameras/nope/rules", "", nil)
	want("rules of unknown camera", code, 404, body)

	put := func(body string, hdr map[string]string) (int, http.Header, string) {
		return tech.do("PUT", "/api/v1/cameras/plaza/rules", body, hdr)
	}
	good := `{"lines":[{"name":"door","points":[[0.4,0.1],[0.4,0.9]],"anchor":"center"}],"zones":[{"name":"till","points":[[0.1,0.5],[0.3,0.5],[0.3,0.9]],"loiter_after":"30s"}],"masks":[]}`
	code, _, body = put(good, nil)
	want("PUT without If-Match", code, 428, body)
	code, _, body = put("{not json", map[string]string{"If-Match": etag})
	want("PUT bad JSON", code, 400, body)
	code, _, body = put(`{"lines":[],"zones":[],"masks":[],"extra":1}`, map[string]string{"If-Match": etag})
	want("PUT unknown top key", code, 400, body)
	bad := `{"lines":[{"name":"Door!","points":[[0.4,0.1]]},{"name":"x","points":[[0,0],[1,1]],"colour":"red"}],"zones":[],"masks":[]}`
	code, _, body = put(bad, map[string]string{"If-Match": etag})
	want("PUT invalid rules", code, 422, body)
	var verr struct {
		Errors []struct{ Key, Field, Message string } `json:"errors"`
	}
	_ = json.Unmarshal([]byte(body), &verr)
	keys := map[string]bool{}
	for _, e := range verr.Errors {
		keys[e.Key] = true
	}
	for _, k := range []string{"cameras[0].lines[0].name", "cameras[0].lines[0].points", "cameras[0].lines[1].colour"} {
		if !keys[k] {
			t.Errorf("422 does not name %s: %s", k, body)
		}
	}
	if b, _ := os.ReadFile(path); !strings.Contains(string(b), "[[0.5, 0.1], [0.5, 0.9]]") {
		t.Errorf("a refused edit changed the file:\n%s", b)
	}

	// CSRF: a session without the token is refused; cross-site is refused.
	cookie, csrf := login(t, base)
	code, _, body = anonWithCookie(t, base, cookie, "PUT", good, map[string]string{"If-Match": etag})
	want("PUT with session, no CSRF token", code, 403, body)
	code, _, body = anonWithCookie(t, base, cookie, "PUT", good, map[string]string{"If-Match": etag, "X-CSRF-Token": "forged"})
	want("PUT with a forged CSRF token", code, 403, body)
	code, _, body = anonWithCookie(t, base, cookie, "PUT", good, map[string]string{"If-Match": etag, "X-CSRF-Token": csrf, "Sec-Fetch-Site": "cross-site"})
	want("cross-site PUT", code, 403, body)
	code, _, body = put(good, map[string]string{"If-Match": etag, "Origin": "http://evil.example"})
	want("PUT from another origin", code, 403, body)

	// 200 with the session and its token; the file keeps its comment.
	code, hdr, body = anonWithCookie(t, base, cookie, "PUT", good, map[string]string{"If-Match": etag, "X-CSRF-Token": csrf})
	want("PUT good rules", code, 200, body)
	newTag := hdr.Get("ETag")
	if newTag == "" || newTag == etag {
		t.Errorf("PUT answered ETag %q (old %q)", newTag, etag)
	}
	b, _ := os.ReadFile(path)
	for _, w := range []string{"# the shop door", "name: till", "loiter_after: 30s", "anchor: center"} {
		if !strings.Contains(string(b), w) {
			t.Errorf("written file lacks %q:\n%s", w, b)
		}
	}
	if strings.Contains(string(b), "masks") {
		t.Errorf("the emptied masks are still in the file:\n%s", b)
	}
	if bak, _ := os.ReadFile(path + ".bak"); string(bak) != yaml {
		t.Errorf("backup is not the previous file:\n%s", bak)
	}
	sub.WaitTopic(t, 20*time.Second, "pantau/v1/s/a/plaza/occupancy", `"till"`)

	// 412: the old ETag is stale now.
	code, _, body = put(good, map[string]string{"If-Match": etag})
	want("PUT with a stale ETag", code, 412, body)

	// POST /api/v1/cameras before any discovery: 422 naming the address;
	// a bad name: 422 naming name; bad JSON: 400.
	code, _, body = tech.do("POST", "/api/v1/cameras", `{"name":"gate","address":"http://127.0.0.9/onvif/device_service","profile":"main"}`, nil)
	want("add an undiscovered camera", code, 422, body)
	code, _, body = tech.do("POST", "/api/v1/cameras", `{"name":"<script>","address":"x","profile":"p"}`, nil)
	want("add a camera named <script>", code, 422, body)
	if !strings.Contains(body, `"key":"name"`) || strings.Contains(body, "<script>") {
		t.Errorf("bad name answer %s", body)
	}
	code, _, body = tech.do("POST", "/api/v1/cameras", `[`, nil)
	want("add a camera, bad JSON", code, 400, body)

	// The pages are static and carry a strict CSP.
	code, hdr, body = anon.do("GET", "/", "", nil)
	if code != 200 || !strings.Contains(hdr.Get("Content-Security-Policy"), "script-src 'self'") || strings.Contains(body, "<script>") {
		t.Errorf("index: %d CSP %q", code, hdr.Get("Content-Security-Policy"))
	}

	// 429: five wrong passwords lock the address out, even for the right one.
	for i := 0; i < 5; i++ {
		code, _, _ = apiClient{t: t, base: base, user: webUser, pass: "wrong"}.do("GET", "/api/v1/cameras", "", nil)
	}
	code, _, body = tech.do("GET", "/api/v1/cameras", "", nil)
	want("right password after five wrong ones", code, 429, body)
}

// login logs in through the API and returns the session cookie and the
// CSRF token.
func login(t *testing.T, base string) (*http.Cookie, string) {
	t.Helper()
	resp, err := http.Post(base+"/api/v1/login", "application/json", strings.NewReader(`{"user":"`+webUser+`","password":"`+webPass+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var info httpauth.SessionInfo
	_ = json.NewDecoder(resp.Body).Decode(&info)
	if resp.StatusCode != 200 || len(resp.Cookies()) != 1 || info.CSRF == "" {
		t.Fatalf("login: %d %+v", resp.StatusCode, info)
	}
	return resp.Cookies()[0], info.CSRF
}

func anonWithCookie(t *testing.T, base string, c *http.Cookie, method, body string, hdr map[string]string) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest(method, base+"/api/v1/cameras/plaza/rules", strings.NewReader(body))
	req.AddCookie(c)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// checkFeed reads the analysis feed with pictures: at least 2 frames a
// second, each with its picture and overlay in one event, seq rising.
func checkFeed(t *testing.T, base string, c apiClient) {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/api/v1/cameras/plaza/feed?pictures=1", nil)
	req.SetBasicAuth(c.user, c.pass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("feed: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 4<<20), 4<<20)
	start := time.Now()
	var seqs []uint64
	for sc.Scan() && len(seqs) < 10 {
		line, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		var f struct {
			Seq    uint64          `json:"seq"`
			JPEG   string          `json:"jpeg"`
			Width  int             `json:"width"`
			Tracks json.RawMessage `json:"tracks"`
		}
		if err := json.Unmarshal([]byte(line), &f); err != nil {
			t.Fatal(err)
		}
		if f.JPEG == "" || f.Width == 0 {
			t.Fatalf("feed frame without picture or size: seq %d", f.Seq)
		}
		seqs = append(seqs, f.Seq)
	}
	elapsed := time.Since(start)
	if len(seqs) < 10 {
		t.Fatalf("feed ended after %d frames", len(seqs))
	}
	if fps := float64(len(seqs)-1) / elapsed.Seconds(); fps < 2 {
		t.Errorf("feed ran at %.1f frames/s, want ≥ 2", fps)
	}
	for i := 1; i < len(seqs); i++ {
		if seqs[i] <= seqs[i-1] {
			t.Errorf("feed seq not rising: %v", seqs)
		}
	}
}

// checkMJPEG reads two pictures of the MJPEG stream.
func checkMJPEG(t *testing.T, base string, c apiClient) {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/api/v1/cameras/plaza/stream.mjpeg", nil)
	req.SetBasicAuth(c.user, c.pass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if resp.StatusCode != 200 || err != nil || params["boundary"] == "" {
		t.Fatalf("mjpeg: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	mr := multipart.NewReader(resp.Body, params["boundary"])
	for i := 0; i < 2; i++ {
		part, err := mr.NextPart()
		if err != nil {
			t.Fatalf("mjpeg part %d: %v", i, err)
		}
		b, _ := io.ReadAll(part)
		if part.Header.Get("Content-Type") != "image/jpeg" || !strings.HasPrefix(string(b), "\xff\xd8") {
			t.Fatalf("mjpeg part %d: %q, %d bytes", i, part.Header.Get("Content-Type"), len(b))
		}
	}
}
