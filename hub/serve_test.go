package hub_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pantau/pantau/hub"
	"github.com/pantau/pantau/hub/config"
)

// TestServeWarnsInsecureSkipVerify: the hub shares the agent's MQTT keys,
// so it warns at start, as the agent does, when the central broker's
// certificate is not checked (issue 12 item 8), before anything else can
// fail (here the store, whose directory cannot be made).
func TestServeWarnsInsecureSkipVerify(t *testing.T) {
	blocker := filepath.Join(t.TempDir(), "not-a-dir")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse([]byte("mqtt: {url: ssl://127.0.0.1:1, tls: {insecure_skip_verify: true}}\n" +
		"http: {listen: 127.0.0.1:0}\nstore: {url: sqlite:" + filepath.Join(blocker, "hub.db") + "}\n"))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := hub.Serve(context.Background(), cfg, slog.New(slog.NewTextHandler(&buf, nil)), hub.ServeOptions{}); err == nil {
		t.Fatal("Serve with a store that cannot be made returned nil")
	}
	if !strings.Contains(buf.String(), "level=WARN") || !strings.Contains(buf.String(), "mqtt.tls.insecure_skip_verify is on") {
		t.Fatalf("the hub did not warn about insecure_skip_verify:\n%s", buf.String())
	}
}
