package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// write writes the image as an OCI image layout and/or a docker-loadable tarball.
func write(o options, img v1.Image) error {
	tag, err := name.NewTag(o.tag, name.WithDefaultRegistry(""))
	if err != nil {
		return fmt.Errorf("--tag %q: %w", o.tag, err)
	}
	if o.layout != "" {
		if err := writeLayout(o.layout, tag, img); err != nil {
			return fmt.Errorf("write OCI layout %s: %w", o.layout, err)
		}
	}
	if o.tarball != "" {
		if err := os.MkdirAll(filepath.Dir(o.tarball), 0o755); err != nil {
			return err
		}
		if err := tarball.WriteToFile(o.tarball, tag, img); err != nil {
			return fmt.Errorf("write tarball %s: %w", o.tarball, err)
		}
	}
	return nil
}

// writeLayout replaces dir with a layout holding img, named by its tag
// (org.opencontainers.image.ref.name, which `skopeo copy oci:DIR:TAG` and
// `podman load` use).
func writeLayout(dir string, tag name.Tag, img v1.Image) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return err
	}
	return p.AppendImage(img, layout.WithAnnotations(map[string]string{
		"org.opencontainers.image.ref.name": tag.TagStr(),
		"io.containerd.image.name":          tag.Name(),
	}))
}
