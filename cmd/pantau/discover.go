package main

import (
	"context"
	"errors"
	"io"
)

// cmdDiscover is a placeholder until the discover command lands.
func cmdDiscover(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("discover: not implemented yet")
}
