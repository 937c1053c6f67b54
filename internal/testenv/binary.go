package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// RunWithBinary builds the switchyard binary into a temporary directory, runs
// the package's tests with its path, and removes it: the body of a TestMain
// for tests that drive the real binary. buildFlags go to go build (the crash
// tests build with -tags crashtest).
func RunWithBinary(m *testing.M, use func(path string), buildFlags ...string) int {
	dir, err := os.MkdirTemp("", "switchyard-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "switchyard")
	args := append(append([]string{"build", "-o", bin}, buildFlags...), "github.com/switchyard/switchyard/cmd/switchyard")
	cmd := exec.Command("go", args...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "build switchyard: %v\n", err)
		return 1
	}
	use(bin)
	return m.Run()
}
