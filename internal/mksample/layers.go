package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// nonroot is the user the sample image runs as.
const nonroot = 65532

// entry is one file or directory in a layer.
type entry struct {
	name string
	mode int64
	uid  int
	body []byte // nil for a directory
}

// etcEntries are the files of the first layer: a root and a nonroot user
// and an os-release naming the sample.
func etcEntries() []entry {
	passwd := "root:x:0:0:root:/root:/sbin/nologin\n" +
		"nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"
	group := "root:x:0:\nnonroot:x:65532:\n"
	osRelease := `NAME="vouch sample"
ID=vouch-sample
VERSION_ID=` + sampleVersion + `
PRETTY_NAME="vouch sample image ` + sampleVersion + `"
HOME_URL="` + sampleSource + `"
`
	return []entry{
		{name: "etc/", mode: 0o755},
		{name: "etc/group", mode: 0o644, body: []byte(group)},
		{name: "etc/os-release", mode: 0o644, body: []byte(osRelease)},
		{name: "etc/passwd", mode: 0o644, body: []byte(passwd)},
		{name: "home/", mode: 0o755},
		{name: "home/nonroot/", mode: 0o700, uid: nonroot},
		{name: "tmp/", mode: 0o1777},
	}
}

// programEntries is the second layer: the hello binary at entrypointPath.
func programEntries(binary string) ([]entry, error) {
	b, err := os.ReadFile(binary)
	if err != nil {
		return nil, fmt.Errorf("reading program: %w", err)
	}
	return []entry{
		{name: "usr/", mode: 0o755},
		{name: "usr/local/", mode: 0o755},
		{name: "usr/local/bin/", mode: 0o755},
		{name: entrypointPath[1:], mode: 0o755, body: b},
	}, nil
}

// tarLayer makes a gzip-compressed OCI layer of the entries, in the given
// order, all stamped with the fixed time t.
func tarLayer(entries []entry, t time.Time) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		hdr := &tar.Header{
			Name:    e.name,
			Mode:    e.mode,
			Uid:     e.uid,
			Gid:     e.uid,
			ModTime: t,
			Format:  tar.FormatPAX,
		}
		if e.body == nil {
			hdr.Typeflag = tar.TypeDir
		} else {
			hdr.Typeflag = tar.TypeReg
			hdr.Size = int64(len(e.body))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, fmt.Errorf("writing tar header %s: %w", e.name, err)
		}
		if _, err := tw.Write(e.body); err != nil {
			return nil, fmt.Errorf("writing tar entry %s: %w", e.name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("closing tar: %w", err)
	}
	data := buf.Bytes()
	opener := func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}
	return tarball.LayerFromOpener(opener,
		tarball.WithCompressionLevel(gzip.BestCompression),
		tarball.WithMediaType(types.OCILayer))
}
