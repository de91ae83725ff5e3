package config

import (
	"errors"
	"os"
)

// unwrapPath drops the path os functions put into their errors.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
