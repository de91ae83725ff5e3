package config

import (
	"os"
	"strings"
	"time"
)

// Built-in defaults. Field comments in config.go and camera.go repeat them.
const (
	DefaultLogLevel       = "info"
	DefaultLogFormat      = "text"
	DefaultHTTPListen     = "127.0.0.1:9090"
	DefaultCountsInterval = 60 * time.Second
	DefaultMQTTURL        = "tcp://127.0.0.1:1883"
	DefaultSpoolDir       = "/var/lib/pantau/spool"
	DefaultSpoolMaxBytes  = Bytes(256 << 20)
	DefaultSpoolMaxAge    = 7 * 24 * time.Hour
	// DefaultCommandMaxAge is commands.max_age when unset.
	DefaultCommandMaxAge = 60 * time.Second
	DefaultFPS           = 5
	DefaultAnalysisWidth = 640
)

func setStr(p *string, v string) {
	if *p == "" {
		*p = v
	}
}

func setDur(p *time.Duration, v time.Duration) {
	if *p == 0 {
		*p = v
	}
}

func setFloat(p *float64, v float64) {
	if *p == 0 {
		*p = v
	}
}

func setInt(p *int, v int) {
	if *p == 0 {
		*p = v
	}
}

func setBool(p **bool, v bool) {
	if *p == nil {
		*p = &v
	}
}

// fillDefaults replaces zero values with the built-in defaults.
func fillDefaults(c *Config) {
	setStr(&c.Agent, hostAgent())
	setStr(&c.Log.Level, DefaultLogLevel)
	setStr(&c.Log.Format, DefaultLogFormat)
	setStr(&c.HTTP.Listen, DefaultHTTPListen)
	setDur(&c.Counts.Interval, DefaultCountsInterval)
	setInt(&c.Detector.Workers, 1)
	setStr(&c.Detector.Engine, EngineAuto)
	setStr(&c.Decode.LoopFilter, LoopFilterSkipAll)

	m := &c.MQTT
	setStr(&m.URL, DefaultMQTTURL)
	if m.ClientID == "" && c.Site != "" {
		m.ClientID = "pantau-" + c.Site + "-" + c.Agent
	}
	setDur(&m.Keepalive, 30*time.Second)
	setDur(&m.ConnectTimeout, 10*time.Second)
	setDur(&m.PublishTimeout, 10*time.Second)
	setBool(&c.Commands.Enabled, true)
	setDur(&c.Commands.MaxAge, DefaultCommandMaxAge)
	m.Commands = c.Commands // the old name reads the same

	s := &c.Spool
	setStr(&s.Dir, DefaultSpoolDir)
	if s.MaxBytes == 0 {
		s.MaxBytes = DefaultSpoolMaxBytes
	}
	setDur(&s.MaxAge, DefaultSpoolMaxAge)
	setStr(&s.Fsync, "always")
	setStr(&s.Policy, PolicyDropOldestCounts)

	setDur(&c.Discovery.Interval, 5*time.Minute)
	setDur(&c.Discovery.Timeout, 3*time.Second)

	FillCameraDefaults(&c.Defaults)
	for i := range c.Cameras {
		FillCameraDefaults(&c.Cameras[i])
	}
}

// FillCameraDefaults replaces a camera's zero values with the built-in
// defaults. The agent uses it for cameras it discovers (after copying the
// config's Defaults); Load and Parse have already applied it.
func FillCameraDefaults(cam *Camera) {
	setStr(&cam.Transport, "tcp")
	setDur(&cam.ReadTimeout, 10*time.Second)
	setDur(&cam.DialTimeout, 5*time.Second)
	setDur(&cam.AuthRetry, 5*time.Minute)
	setStr(&cam.Decode, DecodeAuto)
	setInt(&cam.DecodeThreads, 1)
	setFloat(&cam.FPS, DefaultFPS)
	setInt(&cam.AnalysisWidth, DefaultAnalysisWidth)
	setBool(&cam.Enabled, true)

	mo := &cam.Motion
	setBool(&mo.Enabled, true)
	setFloat(&mo.Threshold, 40)
	setFloat(&mo.MinArea, 0.002)
	setDur(&mo.Debounce, 500*time.Millisecond)
	setDur(&mo.Hold, 2*time.Second)

	de := &cam.Detector
	setStr(&de.Type, DetectorDNN)
	setFloat(&de.MaxRate, 5)
	setStr(&de.ModelsDir, DefaultModelsDir)
	setFloat(&de.Confidence, 0.5)
	setFloat(&de.NMS, 0.45)
	setFloat(&de.MinArea, 0.0005)
	setFloat(&de.MaxArea, 0.5)
	setDur(&de.Budget, 50*time.Millisecond)

	setInt(&cam.Tracker.MaxAge, 10)
	setInt(&cam.Tracker.MinHits, 3)
	setFloat(&cam.Tracker.IoU, 0.3)

	for i := range cam.Lines {
		l := &cam.Lines[i]
		setStr(&l.Direction, DirectionBoth)
		setStr(&l.Anchor, AnchorBottomCenter)
		setFloat(&l.Hysteresis, 0.02)
	}

	t := &cam.Tamper
	setDur(&t.Hold, 3*time.Second)
	setDur(&t.VideoLoss, 10*time.Second)
	setFloat(&t.DarkLevel, 20)
	setFloat(&t.DefocusDrop, 0.6)
	setFloat(&t.SceneChange, 0.5)
}

// hostAgent derives an agent name from the host name.
func hostAgent() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "pantau"
	}
	h, _, _ = strings.Cut(strings.ToLower(h), ".")
	return strings.Map(func(r rune) rune {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '_' || r == '-' {
			return r
		}
		return '-'
	}, h)
}
