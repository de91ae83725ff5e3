package tamper

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/vision"
)

func TestHold(t *testing.T) {
	// One sample every 500 ms; raise after 2 s, clear after 3 s.
	cases := []struct {
		name string
		cond string // one char per sample: 1 condition, 0 not
		want string
	}{
		{"steady", "00000000", ""},
		{"raise after 2 s", "000111111", "raised@3.5"},
		{"short blip does not raise", "00111000111000", ""},
		{"flapping while raised does not clear", "111110101010101", "raised@2.0"},
		{"raise then clear after 3 s", "111110000000", "raised@2.0 cleared@5.5"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := hold{kind: KindCovered}
			var evs []vision.Event
			for i, ch := range c.cond {
				evs = h.update(time.Unix(0, 0).Add(time.Duration(i)*500*time.Millisecond), ch == '1', 2*time.Second, 3*time.Second, evs)
			}
			var got []string
			for _, e := range evs {
				if e.Type != vision.EventTamper || e.Kind != KindCovered {
					t.Fatalf("event %+v", e)
				}
				got = append(got, fmt.Sprintf("%s@%.1f", e.State, e.Time.Sub(time.Unix(0, 0)).Seconds()))
			}
			if strings.Join(got, " ") != c.want {
				t.Errorf("got %q, want %q", strings.Join(got, " "), c.want)
			}
		})
	}
}

func TestConfig(t *testing.T) {
	cases := []struct {
		cfg  Config
		want string
	}{
		{Config{CoveredMean: 300}, "covered_mean: must be within 0–255, got 300"},
		{Config{DefocusRatio: 1.5}, "defocus_ratio: must be within 0–1, got 1.5"},
		{Config{VideoLoss: -time.Second}, "video_loss: must not be negative, got -1s"},
		{Config{Disable: []string{"covered", "smoke"}}, `disable[1]: unknown kind "smoke"`},
	}
	for _, c := range cases {
		if _, err := New(c.cfg); err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("New(%+v): error %v, want %q", c.cfg, err, c.want)
		}
	}
	d, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if d.cfg.VideoLoss != 5*time.Second || d.cfg.SceneCorrelation != 0.6 || d.Name() != "tamper" {
		t.Errorf("defaults %+v", d.cfg)
	}
	d.Close()
}
