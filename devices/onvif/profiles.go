package onvif

import (
	"context"
	"errors"
	"fmt"
	"github.com/pantau/pantau/devices/urlcred"
)

// queryProfiles fills d.Profiles and d.SnapshotURI from Media1 and Media2.
//
// Media1 is the baseline every device has; Media2 is the only service that
// can express H.265 (many devices report their H.265 encoders as H264 over
// Media1, see the IPG-8150PSS capture), so where Media2 knows a profile its
// encoder and stream URI win. Media2 GetProfiles often comes without
// configurations; the encoder is then found through Media2
// GetVideoEncoderConfigurations by the encoder token Media1 gave the same
// profile, or by position when both lists have the same length.
func queryProfiles(ctx context.Context, c *Client, d *Device, reached string) error {
	var p1, p2 []MediaProfile
	var err1, err2 error
	if d.MediaURL != "" {
		p1, err1 = c.GetProfiles(ctx, d.MediaURL)
		if errors.Is(err1, ErrAuth) {
			return err1
		}
		if err1 != nil {
			d.Warnings = append(d.Warnings, "Media1 GetProfiles: "+err1.Error())
		}
	}
	if d.Media2URL != "" {
		p2, err2 = c.GetProfiles2(ctx, d.Media2URL)
		if errors.Is(err2, ErrAuth) {
			return err2
		}
		if err2 != nil {
			d.Warnings = append(d.Warnings, "Media2 GetProfiles: "+err2.Error())
		}
		if err2 == nil && missingEncoders(p2) {
			link2Encoders(ctx, c, d, p1, p2)
		}
	}
	if len(p1) == 0 && len(p2) == 0 {
		switch {
		case err1 != nil && err2 != nil:
			return fmt.Errorf("onvif: no media profiles: %w; Media2: %v", err1, err2)
		case err1 != nil:
			return fmt.Errorf("onvif: no media profiles: %w", err1)
		case err2 != nil:
			return fmt.Errorf("onvif: no media profiles: %w", err2)
		}
		return fmt.Errorf("onvif: device %s reports no media profiles", d.Address)
	}

	in2 := map[string]*EncoderConfig{}
	has2 := map[string]bool{}
	for _, p := range p2 {
		has2[p.Token] = true
		in2[p.Token] = p.Encoder
	}
	seen := map[string]bool{}
	add := func(p MediaProfile) {
		if seen[p.Token] {
			return
		}
		seen[p.Token] = true
		pr := Profile{Token: p.Token, Name: p.Name}
		enc := p.Encoder
		if e := in2[p.Token]; e != nil {
			enc = e
		}
		if enc != nil {
			pr.Encoding, pr.Width, pr.Height, pr.FPS = enc.Encoding, enc.Width, enc.Height, enc.FPS
		}
		pr.StreamURI, pr.Media2 = streamURI(ctx, c, d, p.Token, has2[p.Token], reached)
		d.Profiles = append(d.Profiles, pr)
	}
	for _, p := range p1 {
		add(p)
	}
	for _, p := range p2 {
		add(p)
	}
	snapshot(ctx, c, d, reached)
	return nil
}

func missingEncoders(ps []MediaProfile) bool {
	for _, p := range ps {
		if p.Encoder == nil {
			return true
		}
	}
	return false
}

// link2Encoders fills the Media2 profiles' missing encoders (see queryProfiles).
func link2Encoders(ctx context.Context, c *Client, d *Device, p1, p2 []MediaProfile) {
	encs, err := c.GetVideoEncoderConfigurations2(ctx, d.Media2URL)
	if err != nil {
		d.Warnings = append(d.Warnings, "Media2 GetVideoEncoderConfigurations: "+err.Error())
		return
	}
	byToken := map[string]*EncoderConfig{}
	for i := range encs {
		byToken[encs[i].Token] = &encs[i]
	}
	enc1 := map[string]string{}
	for _, p := range p1 {
		if p.Encoder != nil {
			enc1[p.Token] = p.Encoder.Token
		}
	}
	for i := range p2 {
		if p2[i].Encoder != nil {
			continue
		}
		if e := byToken[enc1[p2[i].Token]]; e != nil {
			p2[i].Encoder = e
		} else if len(encs) == len(p2) {
			p2[i].Encoder = &encs[i]
		}
	}
}

// streamURI asks Media2 first when it knows the profile, then Media1.
func streamURI(ctx context.Context, c *Client, d *Device, token string, inMedia2 bool, reached string) (string, bool) {
	var errs []error
	if inMedia2 {
		u, err := c.GetStreamURI2(ctx, d.Media2URL, token)
		if err == nil {
			return urlcred.Strip(FixHost(u, reached, false)), true
		}
		errs = append(errs, err)
	}
	if d.MediaURL != "" {
		u, err := c.GetStreamURI(ctx, d.MediaURL, token)
		if err == nil {
			return urlcred.Strip(FixHost(u, reached, false)), false
		}
		errs = append(errs, err)
	}
	d.Warnings = append(d.Warnings, fmt.Sprintf("profile %s: no stream URI: %v", token, errors.Join(errs...)))
	return "", false
}

func snapshot(ctx context.Context, c *Client, d *Device, reached string) {
	if len(d.Profiles) == 0 {
		return
	}
	tok := d.Profiles[0].Token
	var u string
	var err error
	if d.MediaURL != "" {
		u, err = c.GetSnapshotURI(ctx, d.MediaURL, tok)
	}
	if (u == "" || err != nil) && d.Media2URL != "" {
		u, err = c.GetSnapshotURI2(ctx, d.Media2URL, tok)
	}
	if err != nil {
		d.Warnings = append(d.Warnings, "GetSnapshotUri: "+err.Error())
		return
	}
	d.SnapshotURI = urlcred.Strip(FixHost(u, reached, false))
}
