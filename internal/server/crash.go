//go:build !crashtest

package server

import "log/slog"

// crashHook is the release steps' hook of the crash tests' build
// (crash_crashtest.go); an ordinary build has none.
func crashHook(*slog.Logger) func(step string) { return nil }
