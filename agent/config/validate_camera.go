package config

import (
	"fmt"
	"github.com/pantau/pantau/devices/urlcred"
	"net/url"
	"path/filepath"
	"time"

	"github.com/pantau/pantau/vision"
)

// validateCamera checks one camera; isDefaults relaxes the keys that are
// per camera (name, url).
func validateCamera(v *collector, key string, c *Camera, isDefaults bool) {
	if !isDefaults {
		switch {
		case c.Name == "":
			v.add(key+".name", "required")
		case !nameRE.MatchString(c.Name):
			v.add(key+".name", "must be 1–64 of a-z, 0-9, '_' and '-', got %q", c.Name)
		}
		if c.URL == "" && c.ONVIF == "" {
			v.add(key+".url", "required (rtsp://host:554/path), or give onvif")
		}
	}
	if c.URL != "" {
		validateStreamURL(v, key+".url", c)
	}
	if c.ONVIF != "" {
		u, err := url.Parse(c.ONVIF)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			v.add(key+".onvif", "want a device service URL such as http://192.168.1.10/onvif/device_service, got %s", urlcred.Redact(c.ONVIF))
		}
	}
	v.oneOf(key+".transport", c.Transport, "tcp", "udp")
	v.oneOf(key+".decode", c.Decode, DecodeFull, DecodeKeyframes, DecodeAuto)
	if c.FPS < 0.1 || c.FPS > 60 {
		v.add(key+".fps", "must be between 0.1 and 60, got %g", c.FPS)
	}
	if c.AnalysisWidth < 64 || c.AnalysisWidth > 3840 {
		v.add(key+".analysis_width", "must be between 64 and 3840, got %d", c.AnalysisWidth)
	}
	if c.DecodeThreads < 1 || c.DecodeThreads > 16 {
		v.add(key+".decode_threads", "must be between 1 and 16, got %d", c.DecodeThreads)
	}
	if c.ReadTimeout < 1e9 {
		v.add(key+".read_timeout", "must be at least 1s, got %s", c.ReadTimeout)
	}
	if c.DialTimeout < 100*time.Millisecond {
		v.add(key+".dial_timeout", "must be at least 100ms, got %s", c.DialTimeout)
	}
	if c.StallTimeout != 0 && c.StallTimeout < time.Second {
		v.add(key+".stall_timeout", "must be 0 (automatic) or at least 1s, got %s", c.StallTimeout)
	}
	if c.AuthRetry < time.Second {
		v.add(key+".auth_retry", "must be at least 1s, got %s", c.AuthRetry)
	}

	mo := &c.Motion
	if mo.Threshold <= 0 || mo.Threshold > 255 {
		v.add(key+".motion.threshold", "must be above 0 and at most 255, got %g", mo.Threshold)
	}
	v.fraction(key+".motion.min_area", mo.MinArea)
	if mo.Width != 0 && (mo.Width < 32 || mo.Width > c.AnalysisWidth) {
		v.add(key+".motion.width", "must be 0 (the analysis width) or 32 to analysis_width (%d), got %d", c.AnalysisWidth, mo.Width)
	}
	for i, m := range mo.Masks {
		polygon(v, fmt.Sprintf("%s.motion.masks[%d]", key, i), m, 3)
	}

	validateDetector(v, key+".detector", &c.Detector)

	tr := &c.Tracker
	if tr.MaxAge < 1 {
		v.add(key+".tracker.max_age", "must be at least 1, got %d", tr.MaxAge)
	}
	if tr.MinHits < 1 {
		v.add(key+".tracker.min_hits", "must be at least 1, got %d", tr.MinHits)
	}
	v.fraction(key+".tracker.iou", tr.IoU)

	rules := map[string]string{}
	rule := func(k, name string) {
		switch {
		case name == "":
			v.add(k, "required")
		case !nameRE.MatchString(name):
			v.add(k, "must be 1–64 of a-z, 0-9, '_' and '-', got %q", name)
		case rules[name] != "":
			v.add(k, "%q is already used by %s", name, rules[name])
		default:
			rules[name] = k
		}
	}
	for i := range c.Lines {
		l := &c.Lines[i]
		lk := fmt.Sprintf("%s.lines[%d]", key, i)
		rule(lk+".name", l.Name)
		polygon(v, lk+".points", l.Points, 2)
		v.oneOf(lk+".direction", l.Direction, DirectionBoth, DirectionIn, DirectionOut)
		v.oneOf(lk+".anchor", l.Anchor, AnchorBottomCenter, AnchorCenter)
		if l.Hysteresis < 0 || l.Hysteresis >= 0.5 {
			v.add(lk+".hysteresis", "must be at least 0 and below 0.5, got %g", l.Hysteresis)
		}
		classes(v, lk+".classes", l.Classes)
	}
	for i := range c.Zones {
		z := &c.Zones[i]
		zk := fmt.Sprintf("%s.zones[%d]", key, i)
		rule(zk+".name", z.Name)
		polygon(v, zk+".points", z.Points, 3)
		classes(v, zk+".classes", z.Classes)
		for j, s := range z.Intrusion.Schedule {
			if _, err := vision.ParseSchedule(s); err != nil {
				v.add(fmt.Sprintf("%s.intrusion.schedule[%d]", zk, j), "%v", err)
			}
		}
	}

	t := &c.Tamper
	if t.DarkLevel < 0 || t.DarkLevel > 255 {
		v.add(key+".tamper.dark_level", "must be between 0 and 255, got %g", t.DarkLevel)
	}
	v.fraction(key+".tamper.defocus_drop", t.DefocusDrop)
	v.fraction(key+".tamper.scene_change", t.SceneChange)
}

func validateDetector(v *collector, key string, d *DetectorConfig) {
	v.oneOf(key+".type", d.Type, DetectorBlob, DetectorHOG, DetectorDNN)
	if d.Type == DetectorDNN {
		// An empty model is the shared pool (top-level detector.model).
		if IsModelName(d.Model) {
			v.fileExists(key+".models_dir", filepath.Join(d.ModelsDir, "manifest.json"))
		} else {
			v.fileExists(key+".model", d.Model)
		}
		v.fileExists(key+".classes_file", d.ClassesFile)
	}
	if d.MaxRate < 0 || d.MaxRate > 100 {
		v.add(key+".max_rate", "must be between 0 and 100 inferences per second, got %g", d.MaxRate)
	}
	v.fraction(key+".confidence", d.Confidence)
	v.fraction(key+".nms", d.NMS)
	v.fraction(key+".min_area", d.MinArea)
	v.fraction(key+".max_area", d.MaxArea)
	if d.MinArea >= d.MaxArea {
		v.add(key+".min_area", "must be below max_area (%g), got %g", d.MaxArea, d.MinArea)
	}
	if d.InputSize != 0 && (d.InputSize < 32 || d.InputSize > 4096 || d.InputSize%32 != 0) {
		v.add(key+".input_size", "must be 0 (the model's) or a multiple of 32 between 32 and 4096, got %d", d.InputSize)
	}
	classes(v, key+".classes", d.Classes)
}

func validateStreamURL(v *collector, key string, c *Camera) {
	// Split, not url.Parse: a password typed unescaped (p@ss/1) is fine.
	u, user, pass, err := urlcred.Split(c.URL)
	switch {
	case err != nil:
		v.add(key, "%v", err)
	case u.Scheme != "rtsp" && u.Scheme != "rtsps":
		v.add(key, "scheme must be rtsp or rtsps, got %s", urlcred.Redact(c.URL))
	case u.Hostname() == "":
		v.add(key, "no host in %s", urlcred.Redact(c.URL))
	case (user != "" || pass != "") && (c.Username != "" || c.Password != ""):
		v.add(key, "credentials given both in the URL and in username/password; keep one")
	}
}

// polygon checks a list of normalised points.
func polygon(v *collector, key string, pts []Point, min int) {
	if len(pts) < min {
		v.add(key, "need at least %d points, got %d", min, len(pts))
	}
	for i, p := range pts {
		if p.X < 0 || p.X > 1 || p.Y < 0 || p.Y > 1 {
			v.add(fmt.Sprintf("%s[%d]", key, i), "coordinates are normalised to 0–1, got [%g, %g]", p.X, p.Y)
		}
	}
	for i := 1; i < len(pts); i++ {
		if pts[i] == pts[i-1] {
			v.add(fmt.Sprintf("%s[%d]", key, i), "repeats the previous point")
		}
	}
}

func classes(v *collector, key string, cls []string) {
	for i, c := range cls {
		if !nameRE.MatchString(c) {
			v.add(fmt.Sprintf("%s[%d]", key, i), "class must be 1–64 of a-z, 0-9, '_' and '-', got %q", c)
		}
	}
}
