package install

import (
	"archive/tar"
	"compress/gzip"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/testenv"
)

// The parts of the OCI image spec the test reads, by its field names: the
// test reads the image the way any runtime would, with no code of the builder.
type (
	ociDescriptor struct {
		MediaType   string            `json:"mediaType"`
		Digest      string            `json:"digest"`
		Size        int64             `json:"size"`
		Annotations map[string]string `json:"annotations"`
	}
	ociIndex struct {
		Manifests []ociDescriptor `json:"manifests"`
	}
	ociManifest struct {
		MediaType   string            `json:"mediaType"`
		Config      ociDescriptor     `json:"config"`
		Layers      []ociDescriptor   `json:"layers"`
		Annotations map[string]string `json:"annotations"`
	}
	ociConfig struct {
		OS           string `json:"os"`
		Architecture string `json:"architecture"`
		Config       struct {
			User         string              `json:"User"`
			Env          []string            `json:"Env"`
			Entrypoint   []string            `json:"Entrypoint"`
			Cmd          []string            `json:"Cmd"`
			WorkingDir   string              `json:"WorkingDir"`
			Labels       map[string]string   `json:"Labels"`
			Volumes      map[string]struct{} `json:"Volumes"`
			ExposedPorts map[string]struct{} `json:"ExposedPorts"`
		} `json:"config"`
		RootFS struct {
			DiffIDs []string `json:"diff_ids"`
		} `json:"rootfs"`
	}
	// dockerManifest is one entry of a `docker save` tarball's manifest.json.
	dockerManifest struct {
		Config   string
		RepoTags []string
		Layers   []string
	}
)

// buildImage builds the static binary and the image as `make image` does,
// into dir: dir/oci (OCI layout) and dir/image.tar.
func buildImage(t *testing.T, dir, tag string) {
	t.Helper()
	static := filepath.Join(dir, "switchyard-static")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", static, "./cmd/switchyard")
	cmd.Dir, cmd.Env = root(t), append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build static binary: %v\n%s", err, out)
	}
	run(t, nil, "go", "-C", filepath.Join(root(t), "hack", "image"), "run", ".",
		"--binary", static, "--layout", filepath.Join(dir, "oci"), "--tarball", filepath.Join(dir, "image.tar"),
		"--tag", tag, "--version", "v9.9.9-test", "--revision", "0123abcd", "--created", "1700000000")
}

// TestImage builds the image, reads its config from the OCI layout and the
// docker tarball, unpacks its layers and runs the server from them, chrooted
// into the unpacked image as the image's user when the test runs as root.
func TestImage(t *testing.T) {
	dir := t.TempDir()
	const tag = "switchyard:test"
	buildImage(t, dir, tag)
	layout := filepath.Join(dir, "oci")
	var m ociManifest
	var cfg ociConfig
	t.Run("layout", func(t *testing.T) {
		if b, err := os.ReadFile(filepath.Join(layout, "oci-layout")); err != nil || !strings.Contains(string(b), `"imageLayoutVersion"`) {
			t.Fatalf("oci-layout = %q, %v; want the imageLayoutVersion marker", b, err)
		}
		var idx ociIndex
		readJSON(t, filepath.Join(layout, "index.json"), &idx)
		if len(idx.Manifests) != 1 || idx.Manifests[0].Annotations["org.opencontainers.image.ref.name"] != "test" {
			t.Fatalf("index.json manifests = %+v, want one named \"test\"", idx.Manifests)
		}
		readJSON(t, blobPath(layout, idx.Manifests[0].Digest), &m)
		if m.MediaType != "application/vnd.oci.image.manifest.v1+json" || len(m.Layers) != 2 {
			t.Fatalf("manifest = %s with %d layers, want an OCI manifest with 2 layers", m.MediaType, len(m.Layers))
		}
		readJSON(t, blobPath(layout, m.Config.Digest), &cfg)
	})
	t.Run("config", func(t *testing.T) { checkConfig(t, cfg, m) })
	t.Run("docker tarball", func(t *testing.T) {
		checkTarball(t, filepath.Join(dir, "image.tar"), tag, m.Config.Digest, len(m.Layers))
	})
	t.Run("skopeo reads and copies both", func(t *testing.T) { checkSkopeo(t, dir, layout, tag) })
	rootfs := filepath.Join(dir, "rootfs")
	t.Run("unpack", func(t *testing.T) {
		for _, l := range m.Layers {
			unpackLayer(t, blobPath(layout, l.Digest), rootfs)
		}
		checkRootfs(t, rootfs)
	})
	t.Run("serve", func(t *testing.T) { serveFromImage(t, rootfs, cfg) })
}

func checkConfig(t *testing.T, cfg ociConfig, m ociManifest) {
	c := cfg.Config
	if got, want := c.Entrypoint, []string{"switchyard"}; !slices.Equal(got, want) {
		t.Errorf("Entrypoint = %q, want %q", got, want)
	}
	if got, want := c.Cmd, []string{"serve"}; !slices.Equal(got, want) {
		t.Errorf("Cmd = %q, want %q", got, want)
	}
	uid, _, _ := strings.Cut(c.User, ":")
	if n, err := strconv.Atoi(uid); err != nil || n == 0 {
		t.Errorf("User = %q, want a numeric user that is not root", c.User)
	}
	want := map[string]string{
		"org.opencontainers.image.source":   "https://github.com/switchyard/switchyard",
		"org.opencontainers.image.version":  "v9.9.9-test",
		"org.opencontainers.image.revision": "0123abcd",
	}
	for k, v := range want {
		if c.Labels[k] != v {
			t.Errorf("label %s = %q, want %q", k, c.Labels[k], v)
		}
		if m.Annotations[k] != v {
			t.Errorf("manifest annotation %s = %q, want %q", k, m.Annotations[k], v)
		}
	}
	if _, ok := c.Volumes["/var/lib/switchyard"]; !ok {
		t.Errorf("Volumes = %v, want /var/lib/switchyard", c.Volumes)
	}
	if !slices.Contains(c.Env, "SWITCHYARD_DATA_DIR=/var/lib/switchyard") {
		t.Errorf("Env = %q, want SWITCHYARD_DATA_DIR=/var/lib/switchyard", c.Env)
	}
	if cfg.OS != "linux" || len(cfg.RootFS.DiffIDs) != len(m.Layers) {
		t.Errorf("os %q with %d diff_ids for %d layers, want linux and one per layer", cfg.OS, len(cfg.RootFS.DiffIDs), len(m.Layers))
	}
}

// checkTarball reads the tarball as `docker load` does: manifest.json names
// the config and the layers, which must be in the archive.
func checkTarball(t *testing.T, path, tag, configDigest string, layers int) {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	names := map[string]bool{}
	var ms []dockerManifest
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("read %s: %v", path, err)
		}
		names[h.Name] = true
		if h.Name == "manifest.json" {
			if err := json.NewDecoder(tr).Decode(&ms); err != nil {
				t.Fatalf("manifest.json: %v", err)
			}
		}
	}
	if len(ms) != 1 || !slices.Equal(ms[0].RepoTags, []string{tag}) || len(ms[0].Layers) != layers {
		t.Fatalf("manifest.json = %+v, want one image tagged %s with %d layers", ms, tag, layers)
	}
	if want := strings.TrimPrefix(configDigest, "sha256:"); !strings.Contains(ms[0].Config, want) {
		t.Errorf("config %s, want the layout's config %s", ms[0].Config, configDigest)
	}
	for _, n := range append([]string{ms[0].Config}, ms[0].Layers...) {
		if !names[n] {
			t.Errorf("manifest.json names %s, which is not in the tarball", n)
		}
	}
}

// checkSkopeo has containers/image (the library podman load uses), through
// skopeo, inspect both outputs and copy each to the other format, which reads
// and verifies every blob.
func checkSkopeo(t *testing.T, dir, layout, tag string) {
	testenv.Tool(t, "skopeo", "apt-get install skopeo")
	_, ref, _ := strings.Cut(tag, ":")
	archive := "docker-archive:" + filepath.Join(dir, "image.tar")
	for _, src := range []string{"oci:" + layout + ":" + ref, archive} {
		var got struct {
			Labels map[string]string
			Os     string
		}
		if err := json.Unmarshal(run(t, nil, "skopeo", "inspect", src), &got); err != nil {
			t.Fatalf("skopeo inspect %s: %v", src, err)
		}
		if got.Os != "linux" || got.Labels["org.opencontainers.image.revision"] != "0123abcd" {
			t.Errorf("skopeo inspect %s = %+v, want linux with revision 0123abcd", src, got)
		}
	}
	run(t, nil, "skopeo", "copy", "--quiet", "oci:"+layout+":"+ref, "docker-archive:"+filepath.Join(dir, "copy.tar")+":"+tag)
	run(t, nil, "skopeo", "copy", "--quiet", archive, "oci:"+filepath.Join(dir, "copy-oci")+":"+ref)
	out := run(t, nil, "skopeo", "inspect", "--config", "docker-archive:"+filepath.Join(dir, "copy.tar"))
	if !strings.Contains(string(out), `"switchyard"`) {
		t.Errorf("config of the copy lacks the entrypoint: %s", out)
	}
}

func checkRootfs(t *testing.T, rootfs string) {
	bin := filepath.Join(rootfs, "usr", "local", "bin", "switchyard")
	st, err := os.Stat(bin)
	if err != nil || st.Mode()&0o111 == 0 {
		t.Fatalf("binary %s: %v, mode %v; want an executable", bin, err, st.Mode())
	}
	ef, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	for _, p := range ef.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("the binary has a dynamic loader; want a static binary (CGO_ENABLED=0)")
		}
	}
	if b, err := os.ReadFile(filepath.Join(rootfs, "etc", "ssl", "certs", "ca-certificates.crt")); err != nil || !strings.Contains(string(b), "BEGIN CERTIFICATE") {
		t.Errorf("CA certificates: %v; want a PEM bundle", err)
	}
	if st, err := os.Stat(filepath.Join(rootfs, "var", "lib", "switchyard")); err != nil || st.Sys().(*syscall.Stat_t).Uid != 65532 {
		t.Errorf("data directory: %v; want it owned by 65532", err)
	}
}

// serveFromImage runs the image's entrypoint and command with its
// environment, on loopback, and GETs /healthz. As root it chroots into the
// image and takes the image's user, so only the image's files are there.
func serveFromImage(t *testing.T, rootfs string, cfg ociConfig) {
	addr := testenv.FreeAddr(t)
	args := append(slices.Clone(cfg.Config.Cmd), "--addr", addr)
	exe := "/usr/local/bin/" + cfg.Config.Entrypoint[0]
	cmd := exec.Command(exe, args...)
	cmd.Env = append(slices.Clone(cfg.Config.Env), "SWITCHYARD_ADMIN_PASSWORD=image-test-password")
	if os.Getuid() == 0 {
		uid, gid, _ := strings.Cut(cfg.Config.User, ":")
		u, _ := strconv.Atoi(uid)
		g, _ := strconv.Atoi(gid)
		cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: rootfs, Credential: &syscall.Credential{Uid: uint32(u), Gid: uint32(g)}}
		cmd.Dir = cfg.Config.WorkingDir
	} else {
		t.Log("not root: running the unpacked binary without chroot")
		cmd.Path = filepath.Join(rootfs, exe)
		cmd.Env = append(cmd.Env, "SWITCHYARD_DATA_DIR="+filepath.Join(rootfs, "var", "lib", "switchyard"))
	}
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s from the image: %v", exe, err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	body, err := getHealthz("http://" + addr + "/healthz")
	if err != nil {
		t.Fatalf("GET /healthz of the server from the image: %v\nserver log:\n%s", err, logs.String())
	}
	t.Logf("/healthz: %s", body)
}

func getHealthz(url string) (string, error) {
	var last error
	for range 300 {
		resp, err := http.Get(url)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return strings.TrimSpace(string(b)), nil
			}
			err = fmt.Errorf("status %d: %s", resp.StatusCode, b)
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	return "", last
}

func blobPath(layout, digest string) string {
	alg, hex, _ := strings.Cut(digest, ":")
	return filepath.Join(layout, "blobs", alg, hex)
}

func readJSON(t *testing.T, path string, into any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, into); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// unpackLayer extracts a gzipped layer into dir with its modes and owners.
func unpackLayer(t *testing.T, blob, dir string) {
	t.Helper()
	f, err := os.Open(blob)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("layer %s: %v", blob, err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatalf("layer %s: %v", blob, err)
		}
		unpackEntry(t, tr, h, dir)
	}
}

func unpackEntry(t *testing.T, r io.Reader, h *tar.Header, dir string) {
	t.Helper()
	path := filepath.Join(dir, filepath.Clean("/"+h.Name))
	mode := os.FileMode(h.Mode).Perm()
	if h.Mode&0o1000 != 0 {
		mode |= os.ModeSticky
	}
	switch h.Typeflag {
	case tar.TypeDir:
		if err := os.MkdirAll(path, 0o755); err != nil {
			t.Fatal(err)
		}
	case tar.TypeReg:
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		_, err = io.Copy(f, r)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatalf("unexpected entry %s of type %c", h.Name, h.Typeflag)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	if os.Getuid() == 0 {
		if err := os.Lchown(path, h.Uid, h.Gid); err != nil {
			t.Fatal(err)
		}
	}
}
