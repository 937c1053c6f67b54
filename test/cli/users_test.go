package cli

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/client"
	"github.com/switchyard/switchyard/internal/cli"
)

// TestUserLifecycleCommands drives the account lifecycle through the real
// binary against a real server: disable stops the user's CLI token at its
// next request, enable brings it back, an admin lists and revokes it,
// grants and removes platform admin, and deletes the user; bad input and
// changes to one's own account are refused with their exit codes.
func TestUserLifecycleCommands(t *testing.T) {
	url := startServer(t)
	admin, alice := newCLI(t), newCLI(t)
	admin.env = []string{"SWITCHYARD_URL=" + url}
	if _, errs, code := admin.run(password+"\n", "login", url, "-u", "admin", "--password-stdin"); code != 0 {
		t.Fatalf("admin login: %s", errs)
	}
	if _, errs, code := admin.run("alice-password-1\n", "user", "create", "alice", "--password-stdin"); code != 0 {
		t.Fatalf("user create alice: %s", errs)
	}
	if _, errs, code := alice.run("alice-password-1\n", "login", url, "-u", "alice", "--password-stdin"); code != 0 {
		t.Fatalf("alice login: %s", errs)
	}
	alice.ok("whoami")
	user := func(args ...string) client.User {
		t.Helper()
		var u client.User
		if out := admin.ok(append(args, "-o", "json")...); json.Unmarshal([]byte(out), &u) != nil {
			t.Fatalf("switchyard %s -o json = %q", strings.Join(args, " "), out)
		}
		return u
	}

	if u := user("user", "disable", "alice"); !u.Disabled {
		t.Errorf("user disable alice -o json = %+v, want disabled", u)
	}
	alice.fails(cli.ExitError, "disabled", "whoami")
	if out := admin.ok("user", "list"); !strings.Contains(out, "DISABLED") {
		t.Errorf("user list has no DISABLED column:\n%s", out)
	}
	if u := user("user", "enable", "alice"); u.Disabled {
		t.Errorf("user enable alice -o json = %+v, want enabled", u)
	}
	alice.ok("whoami")

	var tokens struct{ Items []client.Token }
	if out := admin.ok("user", "tokens", "alice", "-o", "json"); json.Unmarshal([]byte(out), &tokens) != nil || len(tokens.Items) != 1 {
		t.Fatalf("user tokens alice -o json = %q, want alice's login token", out)
	}
	if out := admin.ok("user", "revoke-token", "alice", fmt.Sprint(tokens.Items[0].ID)); !strings.Contains(out, "revoked") {
		t.Errorf("user revoke-token = %q", out)
	}
	alice.fails(cli.ExitError, "revoked", "whoami")

	if u := user("user", "set", "alice", "--platform-admin"); !u.PlatformAdmin {
		t.Errorf("user set alice --platform-admin = %+v", u)
	}
	if u := user("user", "set", "alice", "--platform-admin=false"); u.PlatformAdmin {
		t.Errorf("user set alice --platform-admin=false = %+v", u)
	}
	admin.fails(cli.ExitUsage, "platform-admin", "user", "set", "alice")
	admin.fails(cli.ExitUsage, "token id", "user", "revoke-token", "alice", "abc")
	admin.fails(cli.ExitError, "your own account", "user", "disable", "admin")
	admin.fails(cli.ExitError, "your own account", "user", "set", "admin", "--platform-admin=false")
	admin.fails(cli.ExitError, "your own account", "user", "delete", "admin", "--yes")
	admin.fails(cli.ExitError, "error: ", "user", "disable", "nobody")

	if out := admin.ok("user", "delete", "alice"); !strings.Contains(out, "user alice deleted") {
		t.Errorf("user delete alice = %q", out)
	}
	admin.fails(cli.ExitError, "not found", "user", "delete", "alice")
	out := admin.ok("audit", "list", "--all", "--action", "user.")
	for _, want := range []string{"user.disable", "user.enable", "user.platform_admin.grant", "user.platform_admin.remove", "user.delete"} {
		if !strings.Contains(out, want) {
			t.Errorf("audit list --all --action user. lacks %s:\n%s", want, out)
		}
	}
}
