package main

import (
	"bytes"
	"errors"
	"fmt"
)

// password returns the key password: VOUCH_PASSWORD, then COSIGN_PASSWORD
// (for compatibility with cosign), then a prompt when stdin is a terminal.
// With confirm, a prompted password is asked for twice.
func (g *globals) password(confirm bool) ([]byte, error) {
	for _, name := range []string{"VOUCH_PASSWORD", "COSIGN_PASSWORD"} {
		if v, ok := g.io.env(name); ok {
			return []byte(v), nil
		}
	}
	if !g.io.inTerminal {
		return nil, usageErr(errors.New(
			"no key password: set VOUCH_PASSWORD (or COSIGN_PASSWORD), or run on a terminal"))
	}
	fmt.Fprint(g.io.err, "Key password: ")
	pw, err := g.io.readPassword()
	fmt.Fprintln(g.io.err)
	if err != nil {
		return nil, usageErr(fmt.Errorf("reading password: %w", err))
	}
	if !confirm {
		return pw, nil
	}
	fmt.Fprint(g.io.err, "Key password again: ")
	again, err := g.io.readPassword()
	fmt.Fprintln(g.io.err)
	if err != nil {
		return nil, usageErr(fmt.Errorf("reading password: %w", err))
	}
	if !bytes.Equal(pw, again) {
		return nil, usageErr(errors.New("the two passwords differ"))
	}
	return pw, nil
}
