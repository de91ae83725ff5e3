package onvif

import "testing"

// TestDigestRFC7616 checks the request-digest against the examples of
// RFC 7616 section 3.9.1, with the challenge parsed from its header.
func TestDigestRFC7616(t *testing.T) {
	for _, c := range []struct{ alg, want string }{
		{"MD5", "8ca523f5e9506fed4657c9700eebdbec"},
		{"SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"},
	} {
		ch := parseDigestChallenge(`Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=` + c.alg +
			`, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`)
		if ch == nil || ch.qop != "auth" || ch.opaque != "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS" {
			t.Fatalf("%s: challenge %+v", c.alg, ch)
		}
		got := ch.response("GET", "/dir/index.html", "Mufasa", "Circle of Life", "00000001", "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ")
		if got != c.want {
			t.Errorf("%s: response %s, want %s", c.alg, got, c.want)
		}
	}
	for _, h := range []string{"", "Basic realm=x", `Digest realm="x"`} {
		if parseDigestChallenge(h) != nil {
			t.Errorf("%q parsed as a digest challenge", h)
		}
	}
}

// TestPasswordDigestVector checks the WS-UsernameToken digest against the
// worked example of the ONVIF Application Programmer's Guide (5.12.2).
func TestPasswordDigestVector(t *testing.T) {
	nonce := []byte{0x2c, 0xaa, 0x88, 0xe8, 0x6f, 0xc0, 0x8a, 0x42, 0x82, 0x42, 0xb3, 0x74, 0xce, 0xa6, 0x45, 0x96} // LKqI6G/AikKCQrN0zqZFlg==
	if got := PasswordDigest(nonce, "2010-09-16T07:50:45Z", "userpassword"); got != "tuOSpGlFlIXsozq4HFNeeGeFLEI=" {
		t.Errorf("digest %s", got)
	}
}
