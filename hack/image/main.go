// Command image builds Switchyard's container image from a static binary,
// with no Docker daemon and no registry (`make image`): an empty base, CA
// certificates, a numeric non-root user, ENTRYPOINT ["switchyard"] and
// CMD ["serve"], OCI labels, and the data directory as a volume. It writes an
// OCI image layout (for `crane push`, `skopeo copy oci:…`) and a tarball that
// `docker load` and `podman load` read.
//
// The image format (layers, config, manifest, index, layout, tarball) is
// go-containerregistry's; this program only says what goes into the image.
// It lives in its own module so the product's go.mod stays light.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"time"
)

// Where things are in the image. The Helm chart and the tests rely on them.
const (
	binaryPath = "/usr/local/bin/switchyard"
	dataDir    = "/var/lib/switchyard"
	// uid and gid of the user the server runs as: distroless's "nonroot".
	nonRootID = 65532
	port      = "8080"
)

// options are the command's flags.
type options struct {
	binary   string // the static switchyard binary (CGO_ENABLED=0)
	caFile   string // the CA bundle copied to /etc/ssl/certs/ca-certificates.crt
	layout   string // directory of the OCI image layout to write
	tarball  string // file of the docker-loadable tarball to write
	tag      string // the image's name in the tarball and the layout's ref.name
	arch     string // the binary's GOARCH
	version  string // org.opencontainers.image.version
	revision string // org.opencontainers.image.revision
	source   string // org.opencontainers.image.source
	created  time.Time
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	o, err := parseFlags(args)
	if err != nil {
		return err
	}
	img, err := build(o)
	if err != nil {
		return err
	}
	if err := write(o, img); err != nil {
		return err
	}
	d, err := img.Digest()
	if err != nil {
		return err
	}
	fmt.Printf("image %s %s\n  layout  %s\n  tarball %s\n", o.tag, d, o.layout, o.tarball)
	return nil
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("image", flag.ContinueOnError)
	fs.StringVar(&o.binary, "binary", "", "the static switchyard binary (required)")
	fs.StringVar(&o.caFile, "ca-certificates", "/etc/ssl/certs/ca-certificates.crt", "CA bundle to put in the image")
	fs.StringVar(&o.layout, "layout", "", "write an OCI image layout to this directory (replaced)")
	fs.StringVar(&o.tarball, "tarball", "", "write a docker-loadable tarball to this file")
	fs.StringVar(&o.tag, "tag", "switchyard:dev", "image name and tag")
	fs.StringVar(&o.arch, "arch", runtime.GOARCH, "GOARCH the binary was built for")
	fs.StringVar(&o.version, "version", "dev", "version label")
	fs.StringVar(&o.revision, "revision", "unknown", "source revision label (git commit)")
	fs.StringVar(&o.source, "source", "https://github.com/switchyard/switchyard", "source repository label")
	created := fs.String("created", os.Getenv("SOURCE_DATE_EPOCH"), "creation time: Unix seconds or RFC 3339 (default SOURCE_DATE_EPOCH, else the Unix epoch, so builds are reproducible)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.binary == "" || (o.layout == "" && o.tarball == "") {
		return o, fmt.Errorf("--binary and at least one of --layout, --tarball are required")
	}
	var err error
	o.created, err = parseTime(*created)
	return o, err
}

// parseTime reads Unix seconds or RFC 3339; empty is the Unix epoch.
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Unix(0, 0).UTC(), nil
	}
	if secs, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(secs, 0).UTC(), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("--created %q: want Unix seconds or RFC 3339", s)
	}
	return t.UTC(), nil
}
