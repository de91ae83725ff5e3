package main

import (
	"context"
	"errors"
	"io"
)

// cmdBench is a placeholder until the bench command lands.
func cmdBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("bench: not implemented yet")
}
