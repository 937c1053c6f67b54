package api_test

import (
	"runtime"
	"testing"

	"github.com/switchyard/switchyard/internal/version"
)

// TestVersion reads the server's build through the public client, signed in
// and not: the values the binary was built with, and the Go version.
func TestVersion(t *testing.T) {
	old := version.Version
	version.Version, version.Revision = "v1.2.3-test", "deadbeef"
	t.Cleanup(func() { version.Version, version.Revision = old, "" })
	e := newEnv(t, storeOptsSQLite(t))
	for _, signedIn := range []bool{false, true} {
		c := e.client()
		if signedIn {
			c = e.login("admin", adminPassword)
		}
		v, err := c.ServerVersion(t.Context())
		if err != nil || v.Version != "v1.2.3-test" || v.Revision != "deadbeef" || v.GoVersion != runtime.Version() {
			t.Errorf("signed in %v: ServerVersion = %+v, %v; want v1.2.3-test, deadbeef, %s", signedIn, v, err, runtime.Version())
		}
	}
}
