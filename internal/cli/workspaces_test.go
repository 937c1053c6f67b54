package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/client"
)

// TestLifetimeDays checks the token lifetime flags: whole days, a bare number meaning days.
func TestLifetimeDays(t *testing.T) {
	tests := []struct {
		in   string
		want int // 0: refused
	}{
		{"90d", 90}, {"1d", 1}, {"3650d", 3650}, {"90", 90}, {"48h", 2}, {"1d24h", 2},
		{"0d", 0}, {"-3d", 0}, {"0", 0}, {"-1", 0}, {"5x", 0}, {"12h", 0}, {"d", 0}, {"1.5d", 0}, {"", 0}, {"1d-1h", 0},
	}
	for _, tt := range tests {
		got := 0
		err := daysFlag(&got).Set(tt.in)
		if (err == nil) != (tt.want != 0) || got != tt.want {
			t.Errorf("lifetimeDays(%q) = %d, %v; want %d (0: an error)", tt.in, got, err, tt.want)
		}
	}
}

// TestTokenLifetimeUsage checks a bad --expires or --token-expires is a
// usage error naming the flag, found before contacting a server.
func TestTokenLifetimeUsage(t *testing.T) {
	t.Setenv("SWITCHYARD_CONFIG", filepath.Join(t.TempDir(), "config.json"))
	t.Setenv("SWITCHYARD_URL", "http://127.0.0.1:1")
	tests := []struct {
		args []string
		flag string
	}{
		{[]string{"token", "create", "ci", "--expires", "5x"}, "--expires"},
		{[]string{"token", "create", "ci", "--expires", "0d"}, "--expires"},
		{[]string{"token", "create", "ci", "--expires", "-1d"}, "--expires"},
		{[]string{"token", "create", "ci", "--expires", "25h"}, "--expires"},
		{[]string{"login", "http://127.0.0.1:1", "--token-expires", "1w"}, "--token-expires"},
		{[]string{"login", "http://127.0.0.1:1", "--token", "sy_x", "--token-expires", "30d"}, "--token-expires"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Run(context.Background(), tt.args, &stdout, &stderr)
			if code != ExitUsage || !strings.Contains(stderr.String(), tt.flag) {
				t.Errorf("exit %d, stderr %q; want %d naming %s", code, stderr.String(), ExitUsage, tt.flag)
			}
		})
	}
}

func TestTokenTable(t *testing.T) {
	now := time.Now()
	soon, past := now.Add(30*24*time.Hour), now.Add(-time.Hour)
	ts := []client.Token{
		{ID: 1, Name: "forever", Prefix: "sy_a", CreatedAt: now},
		{ID: 2, Name: "monthly", Prefix: "sy_b", CreatedAt: now, ExpiresAt: &soon},
		{ID: 3, Name: "old", Prefix: "sy_c", CreatedAt: now, ExpiresAt: &past, RevokedAt: &past},
	}
	var b bytes.Buffer
	_ = tokenTable(ts, false).write(&b, true)
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	want := [][]string{
		{"ID", "NAME", "PREFIX", "AGE", "LAST", "USED", "EXPIRES", "REVOKED"},
		{"1", "forever", "sy_a", "0s", "-", "never", "-"},
		{"2", "monthly", "sy_b", "0s", "-", soon.Local().Format(time.DateOnly), "-"},
		{"3", "old", "sy_c", "0s", "-", "expired", "60m", "ago"},
	}
	if len(lines) != len(want) {
		t.Fatalf("table has %d lines, want %d:\n%s", len(lines), len(want), b.String())
	}
	for i, line := range lines {
		if got := strings.Fields(line); strings.Join(got, "|") != strings.Join(want[i], "|") {
			t.Errorf("line %d = %q, want fields %q", i, line, want[i])
		}
	}
}
