//go:build !crashtest

package server

import (
	"log/slog"
	"testing"
)

// TestNoCrashHookInReleaseBuilds: only the crash tests' build (-tags
// crashtest) can be told to kill itself; an ordinary one ignores the variable.
func TestNoCrashHookInReleaseBuilds(t *testing.T) {
	t.Setenv("SWITCHYARD_TEST_CRASH_AFTER", "record")
	if hook := crashHook(slog.New(slog.DiscardHandler)); hook != nil {
		t.Fatal("an ordinary build has a crash hook: SWITCHYARD_TEST_CRASH_AFTER would kill it")
	}
}
