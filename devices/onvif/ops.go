package onvif

import (
	"bytes"
	"context"
	"encoding/xml"
	"time"

	"github.com/use-go/onvif/device"
	"github.com/use-go/onvif/media"
	xonvif "github.com/use-go/onvif/xsd/onvif"
)

// marshal encodes one of use-go/onvif's request structs; their element names
// carry the tds:/trt:/onvif: prefixes our envelope declares.
func marshal(v any) []byte {
	b, err := xml.Marshal(v)
	if err != nil {
		panic("onvif: marshalling a fixed request type: " + err.Error())
	}
	return b
}

func escaped(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// SyncClock asks the device for its time without credentials (as ONVIF
// requires devices to allow) and stores the offset used to date
// WS-UsernameTokens. It returns the device's UTC time.
func (c *Client) SyncClock(ctx context.Context) (time.Time, error) {
	sent := time.Now()
	data, err := c.Call(ctx, "", NSDevice, "GetSystemDateAndTime", marshal(device.GetSystemDateAndTime{}), false)
	if err != nil {
		return time.Time{}, err
	}
	t, err := ParseSystemDateAndTime(data)
	if err != nil {
		return time.Time{}, err
	}
	// The device read its clock somewhere between send and receive; the
	// midpoint is the best guess. Devices report whole seconds.
	now := time.Now()
	mid := sent.Add(now.Sub(sent) / 2)
	c.SetClockOffset(t.Sub(mid).Truncate(time.Second))
	return t, nil
}

// GetDeviceInformation returns manufacturer, model, firmware and serial.
func (c *Client) GetDeviceInformation(ctx context.Context) (DeviceInfo, error) {
	data, err := c.Call(ctx, "", NSDevice, "GetDeviceInformation", marshal(device.GetDeviceInformation{}), true)
	if err != nil {
		return DeviceInfo{}, err
	}
	return ParseDeviceInformation(data)
}

// GetServices lists the device's services and their addresses.
func (c *Client) GetServices(ctx context.Context) ([]Service, error) {
	data, err := c.Call(ctx, "", NSDevice, "GetServices", marshal(device.GetServices{IncludeCapability: false}), true)
	if err != nil {
		return nil, err
	}
	return ParseServices(data)
}

// GetCapabilities returns the service addresses from GetCapabilities (the
// older call; used when GetServices is not supported).
func (c *Client) GetCapabilities(ctx context.Context) (Capabilities, error) {
	data, err := c.Call(ctx, "", NSDevice, "GetCapabilities", marshal(device.GetCapabilities{Category: "All"}), true)
	if err != nil {
		return Capabilities{}, err
	}
	return ParseCapabilities(data)
}

// GetProfiles calls Media1 GetProfiles on the media service at mediaURL.
func (c *Client) GetProfiles(ctx context.Context, mediaURL string) ([]MediaProfile, error) {
	data, err := c.Call(ctx, mediaURL, NSMedia, "GetProfiles", marshal(media.GetProfiles{}), true)
	if err != nil {
		return nil, err
	}
	return ParseProfiles(data)
}

// GetStreamURI calls Media1 GetStreamUri for RTP-Unicast over RTSP.
func (c *Client) GetStreamURI(ctx context.Context, mediaURL, token string) (string, error) {
	req := media.GetStreamUri{
		StreamSetup:  xonvif.StreamSetup{Stream: "RTP-Unicast", Transport: xonvif.Transport{Protocol: "RTSP"}},
		ProfileToken: xonvif.ReferenceToken(token),
	}
	data, err := c.Call(ctx, mediaURL, NSMedia, "GetStreamUri", marshal(req), true)
	if err != nil {
		return "", err
	}
	return ParseStreamURI(data)
}

// GetSnapshotURI calls Media1 GetSnapshotUri.
func (c *Client) GetSnapshotURI(ctx context.Context, mediaURL, token string) (string, error) {
	req := media.GetSnapshotUri{ProfileToken: xonvif.ReferenceToken(token)}
	data, err := c.Call(ctx, mediaURL, NSMedia, "GetSnapshotUri", marshal(req), true)
	if err != nil {
		return "", err
	}
	return ParseSnapshotURI(data)
}

// GetProfiles2 calls Media2 GetProfiles (Type All) at media2URL.
// (use-go/onvif has no Media2; these requests are ours.)
func (c *Client) GetProfiles2(ctx context.Context, media2URL string) ([]MediaProfile, error) {
	body := []byte(`<tr2:GetProfiles><tr2:Type>All</tr2:Type></tr2:GetProfiles>`)
	data, err := c.Call(ctx, media2URL, NSMedia2, "GetProfiles", body, true)
	if err != nil {
		return nil, err
	}
	return ParseProfiles2(data)
}

// GetVideoEncoderConfigurations2 calls Media2 GetVideoEncoderConfigurations.
func (c *Client) GetVideoEncoderConfigurations2(ctx context.Context, media2URL string) ([]EncoderConfig, error) {
	body := []byte(`<tr2:GetVideoEncoderConfigurations/>`)
	data, err := c.Call(ctx, media2URL, NSMedia2, "GetVideoEncoderConfigurations", body, true)
	if err != nil {
		return nil, err
	}
	return ParseVideoEncoderConfigurations2(data)
}

// GetStreamURI2 calls Media2 GetStreamUri with protocol RtspUnicast.
func (c *Client) GetStreamURI2(ctx context.Context, media2URL, token string) (string, error) {
	body := []byte(`<tr2:GetStreamUri><tr2:Protocol>RtspUnicast</tr2:Protocol><tr2:ProfileToken>` +
		escaped(token) + `</tr2:ProfileToken></tr2:GetStreamUri>`)
	data, err := c.Call(ctx, media2URL, NSMedia2, "GetStreamUri", body, true)
	if err != nil {
		return "", err
	}
	return ParseStreamURI(data)
}

// GetSnapshotURI2 calls Media2 GetSnapshotUri.
func (c *Client) GetSnapshotURI2(ctx context.Context, media2URL, token string) (string, error) {
	body := []byte(`<tr2:GetSnapshotUri><tr2:ProfileToken>` + escaped(token) + `</tr2:ProfileToken></tr2:GetSnapshotUri>`)
	data, err := c.Call(ctx, media2URL, NSMedia2, "GetSnapshotUri", body, true)
	if err != nil {
		return "", err
	}
	return ParseSnapshotURI(data)
}
