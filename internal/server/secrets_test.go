package server_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/internal/server"
)

// TestReadSecretFiles: each secret comes from its *_FILE (one trailing
// newline dropped); set both ways, missing, empty or oversized, it is an
// error naming the settings.
func TestReadSecretFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	env := map[string]string{
		"SWITCHYARD_SECRET_KEY_FILE":     write("key", "a2V5\n"),
		"SWITCHYARD_ADMIN_PASSWORD_FILE": write("pw", " pass word \r\n"),
		"SWITCHYARD_DATABASE_URL_FILE":   write("db", "postgres://u@h/db"),
	}
	var opts server.Options
	if err := server.ReadSecretFiles(&opts, func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if opts.SecretKey != "a2V5" || opts.AdminPassword != " pass word " || opts.DatabaseURL != "postgres://u@h/db" {
		t.Errorf("read %q, %q, %q; want a2V5, \" pass word \", postgres://u@h/db", opts.SecretKey, opts.AdminPassword, opts.DatabaseURL)
	}

	for _, tc := range []struct {
		name   string
		opts   server.Options
		file   string
		want   []string
		envKey string
	}{
		{"both set", server.Options{AdminPassword: "x"}, write("pw2", "y"), []string{"SWITCHYARD_ADMIN_PASSWORD and SWITCHYARD_ADMIN_PASSWORD_FILE"}, "SWITCHYARD_ADMIN_PASSWORD_FILE"},
		{"flag and file", server.Options{DatabaseURL: "postgres://x"}, write("db2", "postgres://y"), []string{"--database-url", "SWITCHYARD_DATABASE_URL_FILE"}, "SWITCHYARD_DATABASE_URL_FILE"},
		{"missing", server.Options{}, filepath.Join(dir, "nope"), []string{"SWITCHYARD_SECRET_KEY_FILE", "no such file"}, "SWITCHYARD_SECRET_KEY_FILE"},
		{"empty", server.Options{}, write("empty", "\n"), []string{"SWITCHYARD_SECRET_KEY_FILE", "empty"}, "SWITCHYARD_SECRET_KEY_FILE"},
		{"too big", server.Options{}, write("big", strings.Repeat("k", server.MaxSecretFileBytes+1)), []string{"SWITCHYARD_SECRET_KEY_FILE", "larger than"}, "SWITCHYARD_SECRET_KEY_FILE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			err := server.ReadSecretFiles(&opts, func(k string) string {
				if k == tc.envKey {
					return tc.file
				}
				return ""
			})
			for _, w := range tc.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("ReadSecretFiles: %v, want an error with %q", err, w)
				}
			}
		})
	}
}
