//go:build crashtest

package server

import (
	"log/slog"
	"os"
	"syscall"
)

// CrashAfterEnv names the step of a job creation or operation after which
// the crash tests' build of the server kills itself with SIGKILL ("record"
// after the job is stored, or an Engine step such as "apply rollout").
const CrashAfterEnv = "SWITCHYARD_TEST_CRASH_AFTER"

// crashHook returns the hook that kills the process after the step named by
// CrashAfterEnv, or nil when it is unset. Only `go build -tags crashtest`
// (test/crash) compiles this file: a release build cannot be told to crash.
func crashHook(logger *slog.Logger) func(step string) {
	after := os.Getenv(CrashAfterEnv)
	if after == "" {
		return nil
	}
	return func(step string) {
		if step != after {
			return
		}
		logger.Error("crash test: killing the process", "after", step)
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {} // the signal is on its way
	}
}
