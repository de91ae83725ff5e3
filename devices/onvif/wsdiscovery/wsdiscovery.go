// Package wsdiscovery encodes and decodes the WS-Discovery (2005/04)
// messages ONVIF devices use: Probe and ProbeMatches. It does no network
// I/O; devices/onvif sends probes and devices/onvif/onvifsim answers them.
package wsdiscovery

import (
	"bytes"
	"crypto/rand"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// Well-known WS-Discovery values.
const (
	// MulticastAddr is the IPv4 WS-Discovery group and port.
	MulticastAddr = "239.255.255.250:3702"
	// Port is the WS-Discovery UDP port.
	Port = 3702
	// TypeNVT is the ONVIF device type cameras answer to.
	TypeNVT = "dn:NetworkVideoTransmitter"

	nsSOAP      = "http://www.w3.org/2003/05/soap-envelope"
	nsAddr      = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
	nsDisc      = "http://schemas.xmlsoap.org/ws/2005/04/discovery"
	nsNetwork   = "http://www.onvif.org/ver10/network/wsdl"
	nsDevice    = "http://www.onvif.org/ver10/device/wsdl"
	actionProbe = nsDisc + "/Probe"
	actionMatch = nsDisc + "/ProbeMatches"
	anonymous   = nsAddr + "/role/anonymous"
)

// MaxMessage is the largest datagram read; larger ones are truncated and
// then fail to parse.
const MaxMessage = 64 << 10

// NewUUID returns a random (version 4) "urn:uuid:..." string.
func NewUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func esc(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// NewProbe builds a Probe for the given types (e.g. TypeNVT; the prefixes
// dn and tds are declared).
func NewProbe(messageID string, types ...string) []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>` +
		`<s:Envelope xmlns:s="` + nsSOAP + `" xmlns:a="` + nsAddr + `" xmlns:d="` + nsDisc +
		`" xmlns:dn="` + nsNetwork + `" xmlns:tds="` + nsDevice + `">` +
		`<s:Header><a:Action s:mustUnderstand="1">` + actionProbe + `</a:Action>` +
		`<a:MessageID>` + esc(messageID) + `</a:MessageID>` +
		`<a:ReplyTo><a:Address>` + anonymous + `</a:Address></a:ReplyTo>` +
		`<a:To s:mustUnderstand="1">urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To></s:Header>` +
		`<s:Body><d:Probe><d:Types>` + esc(strings.Join(types, " ")) + `</d:Types></d:Probe></s:Body></s:Envelope>`)
}

// Probe is a parsed Probe message.
type Probe struct {
	MessageID string
	// Types are the requested types as written (prefix:local).
	Types []string
}

type envelope struct {
	Header struct {
		Action    string `xml:"Action"`
		MessageID string `xml:"MessageID"`
		RelatesTo string `xml:"RelatesTo"`
	} `xml:"Header"`
	Body struct {
		Probe *struct {
			Types string `xml:"Types"`
		} `xml:"Probe"`
		ProbeMatches *struct {
			ProbeMatch []struct {
				EndpointReference struct {
					Address string `xml:"Address"`
				} `xml:"EndpointReference"`
				Types           string `xml:"Types"`
				Scopes          string `xml:"Scopes"`
				XAddrs          string `xml:"XAddrs"`
				MetadataVersion string `xml:"MetadataVersion"`
			} `xml:"ProbeMatch"`
		} `xml:"ProbeMatches"`
	} `xml:"Body"`
}

func decode(data []byte) (*envelope, error) {
	var e envelope
	d := xml.NewDecoder(bytes.NewReader(data))
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	if err := d.Decode(&e); err != nil {
		return nil, fmt.Errorf("ws-discovery: malformed message: %w", err)
	}
	return &e, nil
}

// ParseProbe decodes a Probe; a message that is not a Probe is an error.
func ParseProbe(data []byte) (Probe, error) {
	e, err := decode(data)
	if err != nil {
		return Probe{}, err
	}
	if e.Body.Probe == nil {
		return Probe{}, fmt.Errorf("ws-discovery: not a Probe (action %q)", e.Header.Action)
	}
	return Probe{MessageID: strings.TrimSpace(e.Header.MessageID), Types: strings.Fields(e.Body.Probe.Types)}, nil
}

// Match is one ProbeMatch: a device answering a probe.
type Match struct {
	// Address is the endpoint reference, usually "urn:uuid:...".
	Address string
	Types   []string
	Scopes  []string
	// XAddrs are the device service URLs as the device reported them.
	XAddrs          []string
	MetadataVersion string
}

// ProbeMatches is a parsed ProbeMatches message.
type ProbeMatches struct {
	MessageID, RelatesTo string
	Matches              []Match
}

// ParseProbeMatches decodes a ProbeMatches message. A message without
// matches, or a match without endpoint address, is an error.
func ParseProbeMatches(data []byte) (ProbeMatches, error) {
	e, err := decode(data)
	if err != nil {
		return ProbeMatches{}, err
	}
	pm := e.Body.ProbeMatches
	if pm == nil {
		return ProbeMatches{}, fmt.Errorf("ws-discovery: not a ProbeMatches (action %q)", e.Header.Action)
	}
	out := ProbeMatches{MessageID: strings.TrimSpace(e.Header.MessageID), RelatesTo: strings.TrimSpace(e.Header.RelatesTo)}
	for _, m := range pm.ProbeMatch {
		addr := strings.TrimSpace(m.EndpointReference.Address)
		if addr == "" {
			return ProbeMatches{}, fmt.Errorf("ws-discovery: ProbeMatch without EndpointReference/Address")
		}
		out.Matches = append(out.Matches, Match{Address: addr, Types: strings.Fields(m.Types),
			Scopes: strings.Fields(m.Scopes), XAddrs: strings.Fields(m.XAddrs),
			MetadataVersion: strings.TrimSpace(m.MetadataVersion)})
	}
	if len(out.Matches) == 0 {
		return ProbeMatches{}, fmt.Errorf("ws-discovery: ProbeMatches without ProbeMatch")
	}
	return out, nil
}

// NewProbeMatches builds a ProbeMatches answer to the probe relatesTo, in
// the shape of the agsh/onvif test server's reply (see
// testdata/onvif/discovery/ProbeMatches.template.xml).
func NewProbeMatches(messageID, relatesTo string, m Match) []byte {
	mv := m.MetadataVersion
	if mv == "" {
		mv = "1"
	}
	types := m.Types
	if len(types) == 0 {
		types = []string{TypeNVT, "tds:Device"}
	}
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>` +
		`<SOAP-ENV:Envelope xmlns:SOAP-ENV="` + nsSOAP + `" xmlns:wsa="` + nsAddr + `" xmlns:wsdd="` + nsDisc +
		`" xmlns:tds="` + nsDevice + `" xmlns:dn="` + nsNetwork + `">` +
		`<SOAP-ENV:Header><wsa:MessageID>` + esc(messageID) + `</wsa:MessageID>` +
		`<wsa:RelatesTo>` + esc(relatesTo) + `</wsa:RelatesTo>` +
		`<wsa:To SOAP-ENV:mustUnderstand="true">` + anonymous + `</wsa:To>` +
		`<wsa:Action SOAP-ENV:mustUnderstand="true">` + actionMatch + `</wsa:Action>` +
		`</SOAP-ENV:Header><SOAP-ENV:Body><wsdd:ProbeMatches><wsdd:ProbeMatch>` +
		`<wsa:EndpointReference><wsa:Address>` + esc(m.Address) + `</wsa:Address></wsa:EndpointReference>` +
		`<wsdd:Types>` + esc(strings.Join(types, " ")) + `</wsdd:Types>` +
		`<wsdd:Scopes>` + esc(strings.Join(m.Scopes, " ")) + `</wsdd:Scopes>` +
		`<wsdd:XAddrs>` + esc(strings.Join(m.XAddrs, " ")) + `</wsdd:XAddrs>` +
		`<wsdd:MetadataVersion>` + esc(mv) + `</wsdd:MetadataVersion>` +
		`</wsdd:ProbeMatch></wsdd:ProbeMatches></SOAP-ENV:Body></SOAP-ENV:Envelope>`)
}

// MatchesTypes reports whether a device of type NetworkVideoTransmitter
// (and Device) should answer a probe for types: an empty list matches
// everything; names are compared by local part.
func MatchesTypes(types []string) bool {
	if len(types) == 0 {
		return true
	}
	for _, t := range types {
		l := t
		if i := strings.LastIndexByte(t, ':'); i >= 0 {
			l = t[i+1:]
		}
		if l == "NetworkVideoTransmitter" || l == "Device" {
			return true
		}
	}
	return false
}
