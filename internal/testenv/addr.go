package testenv

import (
	"net"
	"testing"
)

// FreeAddr returns a loopback address with a port free a moment ago, for a
// process that takes its port from its configuration, not from an inherited
// listener (Dex, a server binary started by a test).
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
