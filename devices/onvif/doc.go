// Package onvif finds ONVIF cameras (WS-Discovery) and queries them: device
// information, Media1 and Media2 profiles with their encoders, RTSP stream
// URIs and snapshot URIs, with WS-UsernameToken (PasswordDigest, clock
// corrected from GetSystemDateAndTime) and HTTP Digest authentication.
//
// Entry points: Discover (WS-Discovery on the LAN and unicast to hosts or
// a CIDR), Probe (query one device service URL), Provision (both, plus
// credentials, for the agent), Device.PickProfile (choose the stream to
// analyse).
//
// # What is taken from github.com/use-go/onvif and what is not
//
// Used: its request structs for the Device and Media1 calls
// (device.GetSystemDateAndTime, GetDeviceInformation, GetServices,
// GetCapabilities; media.GetProfiles, GetStreamUri, GetSnapshotUri), which
// marshal correctly into our envelope, and its flat
// device.GetDeviceInformationResponse for decoding.
//
// Replaced, because it is not sound for an agent that must run unattended:
//   - transport: use-go/onvif has no context or timeout, reads unbounded
//     bodies and prints debug lines to stderr. Client here has a per-request
//     timeout under the caller's context, a body limit (ErrTooLarge) and no
//     logging.
//   - errors: use-go/onvif returns empty structs with a nil error when the
//     device answers a SOAP fault (e.g. a wrong password). Here a fault is a
//     *SOAPFault, a wrong password matches ErrAuth (SOAP NotAuthorized or
//     HTTP 401), an HTTP error is *HTTPError, a non-SOAP answer matches
//     ErrNotSOAP.
//   - response types: its nested structs are tagged with an "onvif:" prefix
//     that encoding/xml does not resolve, so encoder fields (encoding,
//     resolution, frame rate) and dates decode empty. Our parsers match by
//     local name whatever prefix the vendor chose.
//   - Media2 (H.265 profiles and stream URIs) does not exist there; it is
//     implemented here.
//   - WS-Security: the token is dated with the device clock offset (many
//     cameras reject tokens more than a few seconds off); HTTP Digest is
//     answered when the device asks for it.
//   - WS-Discovery: ours probes per interface, unicasts to hosts/CIDRs,
//     dedupes by endpoint UUID and fixes wrong XAddrs.
//
// Nothing in this package logs; errors are returned.
package onvif
