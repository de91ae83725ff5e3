package onvif

import "testing"

func TestCameraName(t *testing.T) {
	cases := []struct {
		dev  Device
		want string
	}{
		{Device{Model: "IPG-8150PSS", Serial: "SN 00:11:22:AB:CD:EF"}, "ipg-8150pss-cd-ef"},
		{Device{Model: "Performance-Series", Serial: "12345678"}, "performance-series-345678"},
		{Device{Model: "", Serial: ""}, "camera"},
		{Device{Model: "  Cam!!  ", UUID: "urn:uuid:1234-abcd"}, "cam-4-abcd"},
	}
	for _, c := range cases {
		if got := CameraName(&c.dev); got != c.want {
			t.Errorf("CameraName(%+v) = %q, want %q", c.dev, got, c.want)
		}
	}
}
