package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/pantau/pantau/agent/httpauth"
)

// cmdPasswd prints a users_file line for a name, reading the password
// from standard input (one line), so it never appears in the shell
// history or the process list.
func cmdPasswd(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("passwd", stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: pantau passwd NAME < password-file\n\nPrints NAME:<bcrypt hash> for http.auth.users_file; the password is read from stdin.")
	}
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	name := fs.Arg(0)
	if name == "" || strings.ContainsAny(name, ": \t\r\n") {
		return errors.New("the name must not be empty nor hold ':' or spaces")
	}
	return passwd(name, os.Stdin, stdout)
}

func passwd(name string, in io.Reader, out io.Writer) error {
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	pass := strings.TrimRight(line, "\r\n")
	if len(pass) < 8 {
		return errors.New("password: want at least 8 characters on standard input")
	}
	hash, err := httpauth.HashPassword(pass)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "%s:%s\n", name, hash)
	return err
}
