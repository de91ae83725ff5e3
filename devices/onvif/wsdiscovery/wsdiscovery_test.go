package wsdiscovery

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

func captured(t testing.TB) []byte {
	b, err := os.ReadFile("../../../testdata/onvif/discovery/ProbeMatches.template.xml")
	if err != nil {
		t.Fatal(err)
	}
	s := strings.ReplaceAll(string(b), "RELATES_TO", "urn:uuid:1111")
	return []byte(strings.ReplaceAll(s, "SERVICE_URI", "http://192.168.1.20/onvif/device_service http://[fe80::1]/onvif/device_service"))
}

func TestParseCapturedProbeMatches(t *testing.T) {
	pm, err := ParseProbeMatches(captured(t))
	if err != nil {
		t.Fatal(err)
	}
	if pm.RelatesTo != "urn:uuid:1111" || len(pm.Matches) != 1 {
		t.Fatalf("got %+v", pm)
	}
	m := pm.Matches[0]
	if m.Address != "uuid:c9790c3a-701b-464d-a189-0060351c8ada" {
		t.Errorf("address %q", m.Address)
	}
	want := []string{"http://192.168.1.20/onvif/device_service", "http://[fe80::1]/onvif/device_service"}
	if !reflect.DeepEqual(m.XAddrs, want) {
		t.Errorf("xaddrs %q", m.XAddrs)
	}
	if !reflect.DeepEqual(m.Types, []string{"dn:NetworkVideoTransmitter", "tds:Device"}) || len(m.Scopes) != 7 {
		t.Errorf("types %q scopes %q", m.Types, m.Scopes)
	}
}

func TestRoundTrip(t *testing.T) {
	id := NewUUID()
	if !strings.HasPrefix(id, "urn:uuid:") || len(id) != 45 {
		t.Fatalf("uuid %q", id)
	}
	p, err := ParseProbe(NewProbe(id, TypeNVT))
	if err != nil || p.MessageID != id || !reflect.DeepEqual(p.Types, []string{TypeNVT}) || !MatchesTypes(p.Types) {
		t.Fatalf("probe %+v %v", p, err)
	}
	m := Match{Address: "urn:uuid:abc", Scopes: []string{"onvif://www.onvif.org/name/x&y"}, XAddrs: []string{"http://10.0.0.1:8080/onvif/device_service"}}
	pm, err := ParseProbeMatches(NewProbeMatches(NewUUID(), id, m))
	if err != nil || pm.RelatesTo != id || len(pm.Matches) != 1 {
		t.Fatalf("%+v %v", pm, err)
	}
	got := pm.Matches[0]
	if got.Address != m.Address || !reflect.DeepEqual(got.XAddrs, m.XAddrs) || !reflect.DeepEqual(got.Scopes, m.Scopes) {
		t.Errorf("got %+v want %+v", got, m)
	}
	if MatchesTypes([]string{"tds:Printer"}) {
		t.Error("printer probe matched")
	}
	if _, err := ParseProbe(NewProbeMatches("a", "b", m)); err == nil {
		t.Error("ProbeMatches parsed as Probe")
	}
	if _, err := ParseProbeMatches(NewProbe(id)); err == nil {
		t.Error("Probe parsed as ProbeMatches")
	}
}

func FuzzParseProbeMatches(f *testing.F) {
	f.Add(captured(f))
	f.Add(NewProbe("urn:uuid:1", TypeNVT))
	f.Add([]byte("<html></html>"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pm, err := ParseProbeMatches(data)
		if err == nil && len(pm.Matches) == 0 {
			t.Fatal("nil error without matches")
		}
		_, _ = ParseProbe(data)
	})
}
