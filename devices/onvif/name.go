package onvif

import (
	"fmt"
	"strings"
)

// CameraName proposes a camera name for a device: "<model>-<serial
// suffix>" (last 6 characters of the serial, else of the UUID), lower case,
// in [a-z0-9_-], at most 47 characters, "camera" when the model is empty.
// It does not make names unique: callers append "-2", "-3" on collision.
func CameraName(d *Device) string {
	model := cleanName(d.Model)
	if model == "" {
		model = "camera"
	}
	if len(model) > 40 {
		model = strings.TrimRight(model[:40], "-")
	}
	suffix := cleanName(d.Serial)
	if suffix == "" {
		suffix = cleanName(strings.TrimPrefix(strings.TrimPrefix(d.UUID, "urn:"), "uuid:"))
	}
	if len(suffix) > 6 {
		suffix = strings.Trim(suffix[len(suffix)-6:], "-")
	}
	if suffix == "" {
		return model
	}
	return model + "-" + suffix
}

// UniqueCameraName is CameraName made unique among used ("-2", "-3", …
// appended), and added to used.
func UniqueCameraName(d *Device, used map[string]bool) string {
	name := CameraName(d)
	base := name
	for i := 2; used[name]; i++ {
		name = fmt.Sprintf("%s-%d", base, i)
	}
	used[name] = true
	return name
}

// cleanName lower-cases s and maps runs of other characters to one '-'.
func cleanName(s string) string {
	var b strings.Builder
	dashed := false
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '_' {
			b.WriteRune(r)
			dashed = false
		} else if !dashed && b.Len() > 0 {
			b.WriteByte('-')
			dashed = true
		}
	}
	return strings.Trim(b.String(), "-")
}
