package main

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"path"
	"strconv"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// entry is one file or directory of a layer.
type entry struct {
	name string // absolute path in the image
	mode int64  // permission bits (and sticky)
	uid  int
	body []byte // nil for a directory
}

// build assembles the image: a base layer (users, CA bundle, directories)
// and the binary's layer on top of an empty image, with OCI media types.
func build(o options) (v1.Image, error) {
	ca, err := os.ReadFile(o.caFile)
	if err != nil {
		return nil, fmt.Errorf("read CA certificates: %w", err)
	}
	bin, err := os.ReadFile(o.binary)
	if err != nil {
		return nil, fmt.Errorf("read binary: %w", err)
	}
	base, err := layer(baseEntries(ca), o)
	if err != nil {
		return nil, fmt.Errorf("base layer: %w", err)
	}
	app, err := layer([]entry{{name: path.Dir(binaryPath), mode: 0o755}, {name: binaryPath, mode: 0o755, body: bin}}, o)
	if err != nil {
		return nil, fmt.Errorf("binary layer: %w", err)
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err = mutate.Append(img,
		mutate.Addendum{Layer: base, History: history(o, "users nonroot (65532), CA certificates, "+dataDir)},
		mutate.Addendum{Layer: app, History: history(o, "switchyard binary at "+binaryPath)})
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Created = "linux", o.arch, v1.Time{Time: o.created}
	cf.Config = config(o)
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, err
	}
	return mutate.Annotations(img, labels(o)).(v1.Image), nil
}

// baseEntries are what a static Go server needs of an operating system:
// named users for tools that print them, CA certificates for TLS to
// clusters and PostgreSQL, a writable /tmp and the data directory.
func baseEntries(ca []byte) []entry {
	id := strconv.Itoa(nonRootID)
	passwd := "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:" + id + ":" + id + ":nonroot:/home/nonroot:/sbin/nologin\n"
	group := "root:x:0:\nnonroot:x:" + id + ":\n"
	return []entry{
		{name: "/etc", mode: 0o755},
		{name: "/etc/passwd", mode: 0o644, body: []byte(passwd)},
		{name: "/etc/group", mode: 0o644, body: []byte(group)},
		{name: "/etc/ssl", mode: 0o755},
		{name: "/etc/ssl/certs", mode: 0o755},
		{name: "/etc/ssl/certs/ca-certificates.crt", mode: 0o644, body: ca},
		{name: "/home", mode: 0o755},
		{name: "/home/nonroot", mode: 0o700, uid: nonRootID},
		{name: "/tmp", mode: 0o1777},
		{name: "/var", mode: 0o755},
		{name: "/var/lib", mode: 0o755},
		{name: dataDir, mode: 0o700, uid: nonRootID},
	}
}

// layer writes entries as a layer's file tree (archive/tar, the way ko
// builds its layers) and hands it to go-containerregistry, which compresses
// and digests it.
func layer(entries []entry, o options) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name[1:], Mode: e.mode, Uid: e.uid, Gid: e.uid, ModTime: o.created, Format: tar.FormatPAX}
		if e.body == nil {
			h.Typeflag, h.Name = tar.TypeDir, h.Name+"/"
		} else {
			h.Typeflag, h.Size = tar.TypeReg, int64(len(e.body))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(e.body); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}, tarball.WithMediaType(types.OCILayer))
}

// config is the run configuration: who, what, where.
func config(o options) v1.Config {
	id := strconv.Itoa(nonRootID)
	return v1.Config{
		User:       id + ":" + id,
		Entrypoint: []string{path.Base(binaryPath)},
		Cmd:        []string{"serve"},
		WorkingDir: dataDir,
		Env: []string{
			"PATH=" + path.Dir(binaryPath) + ":/usr/bin:/bin",
			// In a container the server must listen beyond loopback.
			"SWITCHYARD_ADDR=0.0.0.0:" + port,
			"SWITCHYARD_DATA_DIR=" + dataDir,
		},
		ExposedPorts: map[string]struct{}{port + "/tcp": {}},
		Volumes:      map[string]struct{}{dataDir: {}},
		Labels:       labels(o),
	}
}

// labels are the standard OCI annotations, as config labels and on the manifest.
func labels(o options) map[string]string {
	return map[string]string{
		"org.opencontainers.image.title":       "switchyard",
		"org.opencontainers.image.description": "Blue-green release jobs on Kubernetes with Argo Rollouts",
		"org.opencontainers.image.source":      o.source,
		"org.opencontainers.image.version":     o.version,
		"org.opencontainers.image.revision":    o.revision,
		"org.opencontainers.image.created":     o.created.Format("2006-01-02T15:04:05Z07:00"),
	}
}

func history(o options, what string) v1.History {
	return v1.History{Created: v1.Time{Time: o.created}, CreatedBy: "hack/image: " + what, Comment: "make image"}
}
