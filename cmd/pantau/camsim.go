package main

import (
	"context"
	"errors"
	"io"
)

// cmdCamsim is a placeholder until the camsim command lands.
func cmdCamsim(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("camsim: not implemented yet")
}
