package onvifsim

import (
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/pantau/pantau/devices/onvif"
)

func (s *Server) applyDefaults() {
	c := &s.cfg
	if c.Manufacturer == "" {
		c.Manufacturer = "Pantau"
	}
	if c.Model == "" {
		c.Model = "camsim"
	}
	if c.Firmware == "" {
		c.Firmware = "1.0"
	}
	if c.Serial == "" {
		id := strings.ReplaceAll(strings.TrimPrefix(strings.TrimPrefix(c.UUID, "urn:"), "uuid:"), "-", "")
		if len(id) > 12 {
			id = id[len(id)-12:]
		}
		c.Serial = strings.ToUpper(id)
	}
	if len(c.Profiles) == 0 {
		c.Profiles = []ProfileSpec{{Token: "main", Name: "main", Encoding: "H264", Width: 768, Height: 576, FPS: 10}}
	}
	for i := range c.Profiles {
		if c.Profiles[i].Name == "" {
			c.Profiles[i].Name = c.Profiles[i].Token
		}
	}
}

// streamURI is the stream URI for a client that reached us at xhost. A
// loopback or wildcard host in RTSPURL becomes xhost's host, so clients on
// other machines get a usable address.
func (s *Server) streamURI(token, xhost string) string {
	host, _, _ := net.SplitHostPort(xhost)
	if s.cfg.RTSPURL != "" {
		u, err := url.Parse(s.cfg.RTSPURL)
		if err != nil || host == "" {
			return s.cfg.RTSPURL
		}
		ip := net.ParseIP(u.Hostname())
		if ip == nil || !(ip.IsLoopback() || ip.IsUnspecified()) || u.Hostname() == host {
			return s.cfg.RTSPURL
		}
		if hip := net.ParseIP(host); hip != nil && hip.IsLoopback() && ip.IsLoopback() {
			return s.cfg.RTSPURL
		}
		if p := u.Port(); p != "" {
			u.Host = net.JoinHostPort(host, p)
		} else {
			u.Host = host
		}
		return u.String()
	}
	return "rtsp://" + net.JoinHostPort(host, "8554") + "/" + token
}

func (s *Server) profile(token string) *ProfileSpec {
	for i := range s.cfg.Profiles {
		if s.cfg.Profiles[i].Token == token {
			return &s.cfg.Profiles[i]
		}
	}
	return nil
}

// own builds the simulator's own response for svc/op, or nil.
func (s *Server) own(svc string, req *request) []byte {
	c := &s.cfg
	base := "http://" + req.host + "/onvif/"
	var b strings.Builder
	b.WriteString(envOpen)
	switch svc + "/" + req.op {
	case "device_management/GetSystemDateAndTime":
		return s.dateTime()
	case "device_management/GetDeviceInformation":
		fmt.Fprintf(&b, `<tds:GetDeviceInformationResponse><tds:Manufacturer>%s</tds:Manufacturer><tds:Model>%s</tds:Model>`+
			`<tds:FirmwareVersion>%s</tds:FirmwareVersion><tds:SerialNumber>%s</tds:SerialNumber><tds:HardwareId>%s</tds:HardwareId>`+
			`</tds:GetDeviceInformationResponse>`, esc(c.Manufacturer), esc(c.Model), esc(c.Firmware), esc(c.Serial), esc(c.Model))
	case "device_management/GetServices":
		b.WriteString(`<tds:GetServicesResponse>`)
		for _, sv := range [][2]string{{onvif.NSDevice, "device_service"}, {onvif.NSMedia, "media_service"}, {onvif.NSMedia2, "media2_service"}} {
			fmt.Fprintf(&b, `<tds:Service><tds:Namespace>%s</tds:Namespace><tds:XAddr>%s%s</tds:XAddr>`+
				`<tds:Version><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tds:Version></tds:Service>`, sv[0], base, sv[1])
		}
		b.WriteString(`</tds:GetServicesResponse>`)
	case "device_management/GetCapabilities":
		fmt.Fprintf(&b, `<tds:GetCapabilitiesResponse><tds:Capabilities><tt:Device><tt:XAddr>%sdevice_service</tt:XAddr></tt:Device>`+
			`<tt:Media><tt:XAddr>%smedia_service</tt:XAddr></tt:Media></tds:Capabilities></tds:GetCapabilitiesResponse>`, base, base)
	case "media1/GetProfiles":
		b.WriteString(`<trt:GetProfilesResponse>`)
		for i, p := range c.Profiles {
			enc := p.Encoding
			if enc == "H265" {
				enc = "H264" // Media1 cannot say H265; real cameras say H264 (see IPG-8150PSS)
			}
			fmt.Fprintf(&b, `<trt:Profiles token="%s" fixed="true"><tt:Name>%s</tt:Name>`+
				`<tt:VideoEncoderConfiguration token="venc%d"><tt:Name>venc%d</tt:Name><tt:Encoding>%s</tt:Encoding>`+
				`<tt:Resolution><tt:Width>%d</tt:Width><tt:Height>%d</tt:Height></tt:Resolution>`+
				`<tt:RateControl><tt:FrameRateLimit>%g</tt:FrameRateLimit></tt:RateControl></tt:VideoEncoderConfiguration></trt:Profiles>`,
				esc(p.Token), esc(p.Name), i, i, esc(enc), p.Width, p.Height, p.FPS)
		}
		b.WriteString(`</trt:GetProfilesResponse>`)
	case "media2/GetProfiles":
		b.WriteString(`<tr2:GetProfilesResponse>`)
		for i, p := range c.Profiles {
			fmt.Fprintf(&b, `<tr2:Profiles token="%s" fixed="true"><tr2:Name>%s</tr2:Name><tr2:Configurations>%s</tr2:Configurations></tr2:Profiles>`,
				esc(p.Token), esc(p.Name), encoder2("tr2:VideoEncoder", i, p))
		}
		b.WriteString(`</tr2:GetProfilesResponse>`)
	case "media2/GetVideoEncoderConfigurations":
		b.WriteString(`<tr2:GetVideoEncoderConfigurationsResponse>`)
		for i, p := range c.Profiles {
			b.WriteString(encoder2("tr2:Configurations", i, p))
		}
		b.WriteString(`</tr2:GetVideoEncoderConfigurationsResponse>`)
	case "media1/GetStreamUri", "media2/GetStreamUri":
		if s.profile(req.profileToken) == nil {
			return nil
		}
		if svc == "media1" {
			fmt.Fprintf(&b, `<trt:GetStreamUriResponse><trt:MediaUri><tt:Uri>%s</tt:Uri><tt:InvalidAfterConnect>false</tt:InvalidAfterConnect>`+
				`<tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>PT60S</tt:Timeout></trt:MediaUri></trt:GetStreamUriResponse>`,
				esc(s.streamURI(req.profileToken, req.host)))
		} else {
			fmt.Fprintf(&b, `<tr2:GetStreamUriResponse><tr2:Uri>%s</tr2:Uri></tr2:GetStreamUriResponse>`, esc(s.streamURI(req.profileToken, req.host)))
		}
	default:
		return nil
	}
	b.WriteString(envClose)
	return []byte(b.String())
}

func encoder2(elem string, i int, p ProfileSpec) string {
	return fmt.Sprintf(`<%s token="venc%d"><tt:Name>venc%d</tt:Name><tt:UseCount>1</tt:UseCount><tt:Encoding>%s</tt:Encoding>`+
		`<tt:Resolution><tt:Width>%d</tt:Width><tt:Height>%d</tt:Height></tt:Resolution>`+
		`<tt:RateControl><tt:FrameRateLimit>%g</tt:FrameRateLimit></tt:RateControl></%s>`,
		elem, i, i, esc(p.Encoding), p.Width, p.Height, p.FPS, elem)
}
