package config

import (
	"errors"
	"net/url"
	"os"
	"regexp"
)

// userinfoRE finds the userinfo of anything that looks like a URL.
var userinfoRE = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://)[^/@\s"']*@`)

// secretParamRE finds credentials passed as query parameters, as some
// cameras take them (rtsp://cam/live?user=admin&password=…).
var secretParamRE = regexp.MustCompile(`(?i)([?&;](?:password|passwd|pass|pwd|user|username|token|auth|key)=)[^&;\s"']*`)

// RedactURL replaces the credentials of every URL in s with "xxxxx": the
// userinfo ("rtsp://admin:secret@cam/1" becomes "rtsp://xxxxx@cam/1") and
// credential query parameters ("?user=a&password=b" becomes
// "?user=xxxxx&password=xxxxx"). Use it whenever a camera or broker URL
// goes into an error, a log or a payload. agent/logging.RedactURL is the
// same function for packages that may import it.
func RedactURL(s string) string {
	s = userinfoRE.ReplaceAllString(s, "${1}xxxxx@")
	return secretParamRE.ReplaceAllString(s, "${1}xxxxx")
}

// redactErr drops the URL that url.Parse puts into its errors.
func redactErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// unwrapPath drops the path os functions put into their errors.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
