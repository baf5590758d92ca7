package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/vouchsec/vouch/pkg/registry"
)

// readImageList reads the images of an --images-file: one reference a
// line (a registry reference, oci:DIR@sha256:… or oci:DIR:TAG), with
// blank lines and lines starting with # skipped. Path "-" reads in. Every
// line is parsed before the list is returned, so that a bad one is a
// usage error naming the file and the line before anything is fetched.
func readImageList(in io.Reader, path string) ([]string, error) {
	src := path
	if path == "-" {
		src = "stdin"
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, usageErr(fmt.Errorf("--images-file: %w", err))
		}
		defer f.Close()
		in = f
	}
	reg := registry.New()
	var out []string
	sc := bufio.NewScanner(in)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if err := checkImage(reg, line); err != nil {
			return nil, usageErr(fmt.Errorf("%s:%d: %w", src, n, err))
		}
		out = append(out, line)
	}
	if err := sc.Err(); err != nil {
		return nil, usageErr(fmt.Errorf("reading %s: %w", src, err))
	}
	return out, nil
}

// checkImage parses an image reference as the commands will.
func checkImage(reg *registry.Client, s string) error {
	if _, ok, err := registry.ParseLayoutRef(s); ok {
		return err
	}
	_, err := reg.ParseReference(s)
	return err
}
