package onvif

import (
	"fmt"
	"strings"
	"time"

	"github.com/use-go/onvif/device"
)

// The parsers below decode one SOAP response each. They match elements by
// local name only, because vendors use every namespace prefix imaginable
// (tt:, onvif:, ns2:, none). All are pure functions over the response bytes.

// DeviceInfo is the answer to GetDeviceInformation.
type DeviceInfo struct {
	Manufacturer, Model, Firmware, Serial, HardwareID string
}

// ParseDeviceInformation decodes a GetDeviceInformationResponse envelope.
func ParseDeviceInformation(data []byte) (DeviceInfo, error) {
	// use-go/onvif's response struct is flat and decodes correctly.
	var r device.GetDeviceInformationResponse
	if err := DecodeResponse(data, "GetDeviceInformation", "GetDeviceInformationResponse", &r); err != nil {
		return DeviceInfo{}, err
	}
	return DeviceInfo{
		Manufacturer: strings.TrimSpace(r.Manufacturer), Model: strings.TrimSpace(r.Model),
		Firmware: strings.TrimSpace(r.FirmwareVersion), Serial: strings.TrimSpace(r.SerialNumber),
		HardwareID: strings.TrimSpace(r.HardwareId),
	}, nil
}

type xmlDateTime struct {
	Time struct{ Hour, Minute, Second int } `xml:"Time"`
	Date struct{ Year, Month, Day int }     `xml:"Date"`
}

// ParseSystemDateAndTime decodes a GetSystemDateAndTimeResponse and returns
// the device's UTC time. A device that reports no UTCDateTime is an error.
func ParseSystemDateAndTime(data []byte) (time.Time, error) {
	var r struct {
		SystemDateAndTime struct {
			UTCDateTime *xmlDateTime `xml:"UTCDateTime"`
		} `xml:"SystemDateAndTime"`
	}
	if err := DecodeResponse(data, "GetSystemDateAndTime", "GetSystemDateAndTimeResponse", &r); err != nil {
		return time.Time{}, err
	}
	u := r.SystemDateAndTime.UTCDateTime
	if u == nil {
		return time.Time{}, fmt.Errorf("onvif GetSystemDateAndTime: no UTCDateTime in response")
	}
	d, t := u.Date, u.Time
	if d.Year < 1970 || d.Year > 9999 || d.Month < 1 || d.Month > 12 || d.Day < 1 || d.Day > 31 ||
		t.Hour < 0 || t.Hour > 23 || t.Minute < 0 || t.Minute > 59 || t.Second < 0 || t.Second > 60 {
		return time.Time{}, fmt.Errorf("onvif GetSystemDateAndTime: invalid UTC date/time %04d-%02d-%02d %02d:%02d:%02d",
			d.Year, d.Month, d.Day, t.Hour, t.Minute, t.Second)
	}
	return time.Date(d.Year, time.Month(d.Month), d.Day, t.Hour, t.Minute, t.Second, 0, time.UTC), nil
}

// Service is one entry of GetServices.
type Service struct {
	Namespace, XAddr string
	Major, Minor     int
}

// ParseServices decodes a GetServicesResponse.
func ParseServices(data []byte) ([]Service, error) {
	var r struct {
		Service []struct {
			Namespace string `xml:"Namespace"`
			XAddr     string `xml:"XAddr"`
			Version   struct {
				Major int `xml:"Major"`
				Minor int `xml:"Minor"`
			} `xml:"Version"`
		} `xml:"Service"`
	}
	if err := DecodeResponse(data, "GetServices", "GetServicesResponse", &r); err != nil {
		return nil, err
	}
	out := make([]Service, 0, len(r.Service))
	for _, s := range r.Service {
		out = append(out, Service{Namespace: strings.TrimSpace(s.Namespace), XAddr: strings.TrimSpace(s.XAddr),
			Major: s.Version.Major, Minor: s.Version.Minor})
	}
	return out, nil
}

// Capabilities holds the service addresses GetCapabilities reports.
type Capabilities struct {
	Device, Media, Media2 string
}

// ParseCapabilities decodes a GetCapabilitiesResponse.
func ParseCapabilities(data []byte) (Capabilities, error) {
	type xaddr struct {
		XAddr string `xml:"XAddr"`
	}
	var r struct {
		Capabilities struct {
			Device    xaddr `xml:"Device"`
			Media     xaddr `xml:"Media"`
			Extension struct {
				Media2 xaddr `xml:"Media2"`
			} `xml:"Extension"`
		} `xml:"Capabilities"`
	}
	if err := DecodeResponse(data, "GetCapabilities", "GetCapabilitiesResponse", &r); err != nil {
		return Capabilities{}, err
	}
	c := r.Capabilities
	return Capabilities{Device: strings.TrimSpace(c.Device.XAddr), Media: strings.TrimSpace(c.Media.XAddr),
		Media2: strings.TrimSpace(c.Extension.Media2.XAddr)}, nil
}

// EncoderConfig is a video encoder configuration (Media1 or Media2).
type EncoderConfig struct {
	Token    string
	Encoding string // normalised: H264, H265, JPEG, MPEG4 or as reported
	Width    int
	Height   int
	FPS      float64
}

type xmlEncoder struct {
	Token      string `xml:"token,attr"`
	Encoding   string `xml:"Encoding"`
	Resolution struct {
		Width  int `xml:"Width"`
		Height int `xml:"Height"`
	} `xml:"Resolution"`
	RateControl struct {
		FrameRateLimit float64 `xml:"FrameRateLimit"`
	} `xml:"RateControl"`
}

func (x *xmlEncoder) config() *EncoderConfig {
	if x == nil {
		return nil
	}
	return &EncoderConfig{Token: x.Token, Encoding: normEncoding(x.Encoding), Width: x.Resolution.Width,
		Height: x.Resolution.Height, FPS: x.RateControl.FrameRateLimit}
}

// normEncoding maps the spellings devices use to H264, H265, JPEG, MPEG4.
func normEncoding(s string) string {
	u := strings.ToUpper(strings.TrimSpace(s))
	switch strings.NewReplacer(".", "", "-", "", "_", "").Replace(u) {
	case "H264", "AVC":
		return "H264"
	case "H265", "HEVC":
		return "H265"
	case "JPEG", "MJPEG", "MJPG":
		return "JPEG"
	case "MPEG4", "MPV4ES", "MP4V":
		return "MPEG4"
	}
	return u
}

// MediaProfile is a media profile as one media service reports it.
// Encoder is nil when the profile carries no video encoder configuration.
type MediaProfile struct {
	Token, Name string
	Encoder     *EncoderConfig
}

// ParseProfiles decodes a Media1 (trt) GetProfilesResponse.
func ParseProfiles(data []byte) ([]MediaProfile, error) {
	var r struct {
		Profiles []struct {
			Token   string      `xml:"token,attr"`
			Name    string      `xml:"Name"`
			Encoder *xmlEncoder `xml:"VideoEncoderConfiguration"`
		} `xml:"Profiles"`
	}
	if err := DecodeResponse(data, "GetProfiles", "GetProfilesResponse", &r); err != nil {
		return nil, err
	}
	out := make([]MediaProfile, 0, len(r.Profiles))
	for _, p := range r.Profiles {
		out = append(out, MediaProfile{Token: p.Token, Name: strings.TrimSpace(p.Name), Encoder: p.Encoder.config()})
	}
	return out, nil
}

// ParseProfiles2 decodes a Media2 (tr2) GetProfilesResponse.
func ParseProfiles2(data []byte) ([]MediaProfile, error) {
	var r struct {
		Profiles []struct {
			Token          string `xml:"token,attr"`
			Name           string `xml:"Name"`
			Configurations struct {
				Encoder *xmlEncoder `xml:"VideoEncoder"`
			} `xml:"Configurations"`
		} `xml:"Profiles"`
	}
	if err := DecodeResponse(data, "GetProfiles", "GetProfilesResponse", &r); err != nil {
		return nil, err
	}
	out := make([]MediaProfile, 0, len(r.Profiles))
	for _, p := range r.Profiles {
		out = append(out, MediaProfile{Token: p.Token, Name: strings.TrimSpace(p.Name), Encoder: p.Configurations.Encoder.config()})
	}
	return out, nil
}

// ParseVideoEncoderConfigurations2 decodes a Media2
// GetVideoEncoderConfigurationsResponse.
func ParseVideoEncoderConfigurations2(data []byte) ([]EncoderConfig, error) {
	var r struct {
		Configurations []xmlEncoder `xml:"Configurations"`
	}
	if err := DecodeResponse(data, "GetVideoEncoderConfigurations", "GetVideoEncoderConfigurationsResponse", &r); err != nil {
		return nil, err
	}
	out := make([]EncoderConfig, 0, len(r.Configurations))
	for i := range r.Configurations {
		out = append(out, *r.Configurations[i].config())
	}
	return out, nil
}

type xmlURI struct {
	MediaURI struct {
		URI string `xml:"Uri"`
	} `xml:"MediaUri"`
	URI string `xml:"Uri"`
}

func (x xmlURI) get() string {
	if s := strings.TrimSpace(x.MediaURI.URI); s != "" {
		return s
	}
	return strings.TrimSpace(x.URI)
}

// ParseStreamURI decodes a GetStreamUriResponse of Media1 (MediaUri/Uri) or
// Media2 (Uri). Entities such as &amp; are decoded.
func ParseStreamURI(data []byte) (string, error) {
	return parseURI(data, "GetStreamUri")
}

// ParseSnapshotURI decodes a GetSnapshotUriResponse of Media1 or Media2.
func ParseSnapshotURI(data []byte) (string, error) {
	return parseURI(data, "GetSnapshotUri")
}

func parseURI(data []byte, op string) (string, error) {
	var r xmlURI
	if err := DecodeResponse(data, op, op+"Response", &r); err != nil {
		return "", err
	}
	u := r.get()
	if u == "" {
		return "", fmt.Errorf("onvif %s: response has no Uri", op)
	}
	return u, nil
}
