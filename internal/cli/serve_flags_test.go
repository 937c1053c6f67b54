package cli_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/internal/cli"
)

// TestServeRefusesBadOperationsSettings: serve stops before listening on a
// bad --trusted-proxies, --external-url, --log-format or connection cap, or a
// secret set both directly and by file, naming the settings at fault.
func TestServeRefusesBadOperationsSettings(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(keyFile, []byte("a2V5\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want []string
	}{
		{"bad CIDR", []string{"--trusted-proxies", "10.0.0.0/8,10.0.0.0/33"}, nil, []string{"--trusted-proxies", "10.0.0.0/33"}},
		{"bad CIDR from the environment", nil, map[string]string{"SWITCHYARD_TRUSTED_PROXIES": "nonsense"}, []string{"--trusted-proxies", "nonsense"}},
		{"external URL with a path", []string{"--external-url", "https://x.example/sy"}, nil, []string{"--external-url"}},
		{"log format", []string{"--log-format", "xml"}, nil, []string{"--log-format", "text or json"}},
		{"connection cap not a number", nil, map[string]string{"SWITCHYARD_MAX_CONNS_PER_CLIENT": "lots"}, []string{"SWITCHYARD_MAX_CONNS_PER_CLIENT"}},
		{"secret twice", nil, map[string]string{"SWITCHYARD_SECRET_KEY": "a2V5", "SWITCHYARD_SECRET_KEY_FILE": keyFile}, []string{"SWITCHYARD_SECRET_KEY and SWITCHYARD_SECRET_KEY_FILE"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			var stdout, stderr bytes.Buffer
			args := append([]string{"serve", "--data-dir", t.TempDir(), "--addr", "127.0.0.1:0"}, tc.args...)
			if code := cli.Run(context.Background(), args, &stdout, &stderr); code == cli.ExitOK {
				t.Errorf("exit code %d, want a failure", code)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr %q, want it to name %q", stderr.String(), w)
				}
			}
			if strings.Contains(stderr.String(), "switchyard listening") {
				t.Errorf("stderr %q: it listened before refusing", stderr.String())
			}
		})
	}
}
