package main

import (
	"context"
	"errors"
	"io"
)

// cmdDemo is a placeholder until the demo command lands.
func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("demo: not implemented yet")
}
