// Package version is the build's identity: the release it was built from
// (set by the Makefile's build target with -ldflags from git describe) and
// the source revision, falling back to what the Go toolchain stamped into
// the binary (runtime/debug.ReadBuildInfo) for a plain go build.
package version

import (
	"runtime"
	"runtime/debug"
)

// Set with -ldflags "-X github.com/switchyard/switchyard/internal/version.Version=…"
// (and Revision); see the Makefile's build target.
var (
	// Version is the release, `git describe --tags --always --dirty`; "dev" when unset.
	Version = "dev"
	// Revision is the commit; empty: read from the build info.
	Revision = ""
)

// Info describes one build, the client's or the server's.
type Info struct {
	Version   string `json:"version"`
	Revision  string `json:"revision"`
	GoVersion string `json:"go_version"`
}

// Get returns this binary's build information.
func Get() Info {
	info := Info{Version: Version, Revision: Revision, GoVersion: runtime.Version()}
	if info.Revision == "" {
		info.Revision = vcsRevision()
	}
	return info
}

// vcsRevision is the vcs.revision the toolchain stamped, with "-dirty" for
// a modified work tree; empty when the binary carries none (-buildvcs=false).
func vcsRevision() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if rev != "" && modified == "true" {
		rev += "-dirty"
	}
	return rev
}
