package onvif

import (
	"context"
	"errors"
	"fmt"
	"github.com/pantau/pantau/devices/urlcred"
	"net/http"
	"net/url"
	"time"
)

// Device is what Probe learnt about one ONVIF device.
type Device struct {
	// Address is the device service URL, e.g. http://192.0.2.10/onvif/device_service.
	Address string `json:"address"`
	// UUID is the WS-Discovery endpoint reference (urn:uuid:...), when the
	// device was discovered; Probe leaves it empty.
	UUID         string `json:"uuid,omitempty"`
	Manufacturer string `json:"manufacturer"`
	Model        string `json:"model"`
	Firmware     string `json:"firmware"`
	Serial       string `json:"serial"`
	HardwareID   string `json:"hardware_id,omitempty"`
	// Profiles are the media profiles, Media1 order first.
	Profiles []Profile `json:"profiles"`
	// SnapshotURI is the JPEG snapshot URL of the first profile, if any.
	SnapshotURI string `json:"snapshot_uri,omitempty"`
	// MediaURL and Media2URL are the (fixed-up) media service addresses;
	// Media2URL is empty when the device offers no Media2.
	MediaURL  string `json:"media_url,omitempty"`
	Media2URL string `json:"media2_url,omitempty"`
	// ClockOffset is the device clock minus the local clock.
	ClockOffset time.Duration `json:"clock_offset_ns"`
	// Warnings lists non-fatal problems (an optional call that failed).
	Warnings []string `json:"warnings,omitempty"`
}

// Profile is one media profile with its video encoder and stream URI.
type Profile struct {
	Token string `json:"token"`
	Name  string `json:"name"`
	// Encoding is "H264", "H265", "JPEG", "MPEG4" or as the device says;
	// empty when the profile has no video encoder.
	Encoding string  `json:"encoding"`
	Width    int     `json:"width"`
	Height   int     `json:"height"`
	FPS      float64 `json:"fps"`
	// StreamURI is the RTSP URL, without credentials, its host fixed up.
	StreamURI string `json:"stream_uri"`
	// Media2 is true when the stream URI came from the Media2 service
	// (and the encoding, when Media2 reported one).
	Media2 bool `json:"media2"`
}

// Option adjusts the Client that Probe uses.
type Option func(*Client)

// WithTimeout sets the per-request timeout (default 5 s).
func WithTimeout(d time.Duration) Option { return func(c *Client) { c.Timeout = d } }

// WithHTTPClient sets the HTTP client (default: dial timeout, no redirects).
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.HTTP = h } }

// WithMaxBody sets the largest accepted response body (default 4 MiB).
func WithMaxBody(n int64) Option { return func(c *Client) { c.MaxBody = n } }

// Probe queries one device fully: clock, device information, services,
// Media1 and Media2 profiles, stream URIs and a snapshot URI. A wrong
// password is an error matching ErrAuth; an address that is not an ONVIF
// service is an error matching ErrNotSOAP (or a network error).
// On error the returned Device is non-nil when something was learnt
// (at least Address) so callers can report it; it is nil for a bad URL.
func Probe(ctx context.Context, deviceURL, user, password string, opts ...Option) (*Device, error) {
	u, err := url.Parse(deviceURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("onvif: bad device service URL %q: want http://HOST[:PORT]/onvif/device_service", urlcred.Redact(deviceURL))
	}
	u.User = nil
	c := &Client{URL: u.String(), User: user, Password: password}
	for _, o := range opts {
		o(c)
	}
	d := &Device{Address: c.URL}
	reached := u.Host

	if _, err := c.SyncClock(ctx); err != nil {
		var f *SOAPFault
		if !errors.As(err, &f) && !errors.Is(err, ErrAuth) {
			return d, err // not ONVIF, not reachable, or too slow
		}
		d.Warnings = append(d.Warnings, "clock not synchronised: "+err.Error())
	}
	d.ClockOffset = c.ClockOffset()

	info, err := c.GetDeviceInformation(ctx)
	if err != nil {
		return d, err
	}
	d.Manufacturer, d.Model, d.Firmware, d.Serial, d.HardwareID = info.Manufacturer, info.Model, info.Firmware, info.Serial, info.HardwareID

	d.MediaURL, d.Media2URL = serviceAddrs(ctx, c, d)
	if d.MediaURL != "" {
		d.MediaURL = FixHost(d.MediaURL, reached, true)
	}
	if d.Media2URL != "" {
		d.Media2URL = FixHost(d.Media2URL, reached, true)
	}
	if d.MediaURL == "" && d.Media2URL == "" {
		d.MediaURL = c.URL // small devices serve everything at one address
	}
	if err := queryProfiles(ctx, c, d, reached); err != nil {
		return d, err
	}
	return d, nil
}

// serviceAddrs returns the Media1 and Media2 addresses from GetServices,
// falling back to GetCapabilities.
func serviceAddrs(ctx context.Context, c *Client, d *Device) (media1, media2 string) {
	svcs, err := c.GetServices(ctx)
	if err == nil {
		for _, s := range svcs {
			switch s.Namespace {
			case NSMedia:
				media1 = s.XAddr
			case NSMedia2:
				media2 = s.XAddr
			}
		}
		if media1 != "" || media2 != "" {
			return media1, media2
		}
	} else {
		d.Warnings = append(d.Warnings, "GetServices: "+err.Error())
	}
	caps, err := c.GetCapabilities(ctx)
	if err != nil {
		d.Warnings = append(d.Warnings, "GetCapabilities: "+err.Error())
		return media1, media2
	}
	return caps.Media, caps.Media2
}

// PickProfile returns the H.264/H.265 profile with a stream URI whose width
// is the smallest at or above analysisWidth, else the widest one. ok is
// false when the device has no such profile.
func (d Device) PickProfile(analysisWidth int) (Profile, bool) {
	var best Profile
	found := false
	for _, p := range d.Profiles {
		if (p.Encoding != "H264" && p.Encoding != "H265") || p.StreamURI == "" {
			continue
		}
		if !found {
			best, found = p, true
			continue
		}
		bestOK, pOK := best.Width >= analysisWidth, p.Width >= analysisWidth
		switch {
		case pOK && !bestOK:
			best = p
		case pOK && bestOK && p.Width < best.Width:
			best = p
		case !pOK && !bestOK && p.Width > best.Width:
			best = p
		}
	}
	return best, found
}
