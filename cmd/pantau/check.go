package main

import (
	"context"
	"errors"
	"io"
)

// cmdCheck is a placeholder until the check command lands.
func cmdCheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("check: not implemented yet")
}
