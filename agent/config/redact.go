package config

import (
	"errors"
	"net/url"
	"os"
	"regexp"
)

// userinfoRE finds the userinfo of anything that looks like a URL.
var userinfoRE = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://)[^/@\s"']*@`)

// RedactURL replaces the credentials of every URL in s with "xxxxx", so
// "rtsp://admin:secret@cam/1" becomes "rtsp://xxxxx@cam/1". Use it
// whenever a camera or broker URL goes into an error, a log or a payload.
func RedactURL(s string) string {
	return userinfoRE.ReplaceAllString(s, "${1}xxxxx@")
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
