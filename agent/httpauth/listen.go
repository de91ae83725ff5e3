package httpauth

import (
	"crypto/tls"
	"fmt"
	"net"
)

// Listen opens cfg.Listen, with TLS (1.2 or later) when cfg names a
// certificate and key. Serve HTTP on the listener it returns.
func Listen(cfg Config) (net.Listener, error) {
	var tc *tls.Config
	if cfg.CertFile != "" || cfg.KeyFile != "" {
		cert, err := tls.LoadX509KeyPair(cfg.CertFile, cfg.KeyFile)
		if err != nil {
			return nil, &KeyError{KeyCertFile, fmt.Sprintf("cannot load the certificate and key: %v", unwrap(err))}
		}
		tc = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, err
	}
	if tc != nil {
		ln = tls.NewListener(ln, tc)
	}
	return ln, nil
}
