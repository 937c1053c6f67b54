package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/switchyard/switchyard/client"
)

const loginHelp = `Sign in to a Switchyard server and store a personal API token for it in the
config file ($SWITCHYARD_CONFIG or ~/.config/switchyard/config.json, mode 0600),
as a context named after the server's host (or --name). With a password, the CLI
signs in, creates an API token named "cli-<host>" and stores that token, never
the password; the token never expires unless --token-expires gives its lifetime
in days. With --token (or SWITCHYARD_TOKEN) it checks and stores the token.
The new context becomes the current one.

Examples:
  switchyard login https://switchyard.example.com            # prompts for user and password
  switchyard login https://switchyard.example.com --token-expires 30d
  echo "$PASSWORD" | switchyard login http://127.0.0.1:8080 -u admin --password-stdin
  switchyard login https://switchyard.example.com --token "$SWITCHYARD_TOKEN" --name prod -w payments`

func (c *cli) login(ctx context.Context, args []string) error {
	fs := newFlags("login", "URL [flags]", loginHelp)
	user := fs.String("username", "", "user name (prompted for on a terminal)")
	fs.StringVar(user, "u", "", "shorthand for --username")
	stdinPw := fs.Bool("password-stdin", false, "read the password from standard input")
	token := fs.String("token", "", "store this API token instead of signing in with a password (env SWITCHYARD_TOKEN)")
	var days int
	fs.Func("token-expires", "lifetime of the token a password login creates (`days` like 30d; default: it never expires)", lifetimeDays(&days))
	name := fs.String("name", "", "context name (default: the server's host:port)")
	ws := fs.String("workspace", "", "default workspace of the context")
	fs.StringVar(ws, "w", "", "shorthand for --workspace")
	pos, err := c.parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	server := strings.TrimSuffix(pos[0], "/")
	u, err := url.Parse(server)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return usageError{fmt.Sprintf("login: %q is not a server URL like https://host:port", pos[0])}
	}
	if *token == "" && !*stdinPw {
		*token = c.getenv("SWITCHYARD_TOKEN")
	}
	cx := &serverContext{Server: server, Workspace: *ws}
	switch {
	case *token != "" && days > 0:
		return usageError{"login: --token-expires applies to the token a password login creates, not to --token or SWITCHYARD_TOKEN"}
	case *token != "":
		err = c.storeToken(ctx, cx, *token)
	default:
		err = c.passwordLogin(ctx, cx, u.Host, *user, *stdinPw, days)
	}
	if err != nil {
		return err
	}
	if *name == "" {
		*name = u.Host
	}
	if err := c.saveLogin(ctx, *name, cx); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "Logged in to %s as %s (context %q).\n", server, cx.User, *name)
	return nil
}

// saveLogin stores cx as context name and makes it the current one.
func (c *cli) saveLogin(ctx context.Context, name string, cx *serverContext) error {
	cfg, err := c.loadConfig()
	if err != nil {
		return err
	}
	prev := cfg.Contexts[name]
	if prev != nil && cx.Workspace == "" && prev.Server == cx.Server {
		cx.Workspace = prev.Workspace
	}
	cfg.Contexts[name], cfg.CurrentContext = cx, name
	if err := cfg.save(); err != nil {
		return err
	}
	c.revokeReplaced(ctx, prev, cx)
	return nil
}

// revokeReplaced revokes, best effort, the token a new login replaced, so
// logging in again does not leave tokens behind.
func (c *cli) revokeReplaced(ctx context.Context, prev, cur *serverContext) {
	if prev == nil || prev.Token == "" || prev.TokenID == 0 || prev.Token == cur.Token || prev.Server != cur.Server {
		return
	}
	if cl, err := client.New(prev.Server, client.WithToken(prev.Token)); err == nil {
		_ = cl.RevokeToken(ctx, prev.TokenID) // it may be revoked or expired already
	}
}

// storeToken checks token against the server and finds its id, for logout.
func (c *cli) storeToken(ctx context.Context, cx *serverContext, token string) error {
	cl, err := client.New(cx.Server, client.WithToken(token))
	if err != nil {
		return err
	}
	me, err := cl.Me(ctx)
	if err != nil {
		return fmt.Errorf("check the token: %w", err)
	}
	cx.Token, cx.User = token, me.User.Username
	tokens, err := cl.Tokens(ctx)
	if err != nil {
		return fmt.Errorf("list tokens: %w", err)
	}
	for _, t := range tokens {
		if t.RevokedAt == nil && t.Prefix != "" && strings.HasPrefix(token, t.Prefix) {
			cx.TokenID = t.ID
		}
	}
	return nil
}

// passwordLogin signs in with a password, creates an API token that expires
// after days (0: never) and ends the session: only the token is kept.
func (c *cli) passwordLogin(ctx context.Context, cx *serverContext, host, user string, stdinPw bool, days int) error {
	in := bufio.NewReader(c.stdin)
	if user == "" {
		if !c.stdinTTY || stdinPw {
			return usageError{"login: --username is required with --password-stdin or without a terminal"}
		}
		fmt.Fprint(c.stderr, "Username: ")
		line, err := in.ReadString('\n')
		if err != nil {
			return fmt.Errorf("read the user name: %w", err)
		}
		user = strings.TrimSpace(line)
	}
	password, err := c.readPassword(in, stdinPw)
	if err != nil {
		return err
	}
	cl, err := client.New(cx.Server)
	if err != nil {
		return err
	}
	if _, err := cl.Login(ctx, user, password); err != nil {
		return err
	}
	name := "cli-" + host
	tok, err := cl.CreateToken(ctx, name, days)
	if client.StatusOf(err) == http.StatusConflict {
		// This machine's previous login still holds the name; saveLogin
		// revokes that token once this one is stored, freeing the name.
		tok, err = cl.CreateToken(ctx, name+"-"+time.Now().UTC().Format("20060102-150405"), days)
	}
	if err != nil {
		return fmt.Errorf("create an API token: %w", err)
	}
	_ = cl.Logout(ctx) // the session is not needed any more; it expires anyway
	cx.Token, cx.TokenID, cx.User = tok.Secret, tok.ID, user
	return nil
}

// readPassword reads a password from stdin: one line with --password-stdin,
// or prompted for without echo on a terminal.
func (c *cli) readPassword(in *bufio.Reader, stdinPw bool) (string, error) {
	if stdinPw {
		line, err := in.ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("read the password: %w", err)
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	if !c.stdinTTY {
		return "", usageError{"no terminal to prompt for a password: use --password-stdin (or --token to log in)"}
	}
	fmt.Fprint(c.stderr, "Password: ")
	pw, err := term.ReadPassword(int(os.Stdin.Fd()))
	fmt.Fprintln(c.stderr)
	if err != nil {
		return "", fmt.Errorf("read the password: %w", err)
	}
	return string(pw), nil
}

const logoutHelp = `Revoke the context's API token on the server and remove it from the config
file. The context keeps its server, so "switchyard login" can sign in again.

Examples:
  switchyard logout
  switchyard logout --context prod`

func (c *cli) logout(ctx context.Context, args []string) error {
	var o connFlags
	fs := newFlags("logout", "[flags]", logoutHelp)
	o.bind(fs, false)
	if _, err := c.parse(fs, args, 0, 0); err != nil {
		return err
	}
	s, err := c.connect(o)
	if err != nil {
		return err
	}
	if s.ctx.Token == "" {
		return errors.New("not logged in")
	}
	id := s.ctx.TokenID
	if id == 0 { // a token from the environment or stored without its id: find it
		if err := c.storeToken(ctx, s.ctx, s.ctx.Token); err != nil {
			return err
		}
		id = s.ctx.TokenID
	}
	if id == 0 {
		return errors.New("cannot find the token among your tokens; revoke it with switchyard token revoke")
	}
	if err := s.client.RevokeToken(ctx, id); err != nil && client.StatusOf(err) != 401 {
		return fmt.Errorf("revoke the token: %w", err)
	}
	if cx, ok := s.cfg.Contexts[s.name]; ok && cx.Token == s.ctx.Token { // not when the token came from the environment
		cx.Token, cx.TokenID = "", 0
		if err := s.cfg.save(); err != nil {
			return err
		}
	}
	fmt.Fprintf(c.stdout, "Logged out of %s.\n", s.ctx.Server)
	return nil
}

const whoamiHelp = `Show the user the current context (or SWITCHYARD_URL/SWITCHYARD_TOKEN) signs in as.

Examples:
  switchyard whoami
  switchyard whoami -o json`

func (c *cli) whoami(ctx context.Context, args []string) error {
	var o connFlags
	var out outputFlags
	fs := newFlags("whoami", "[flags]", whoamiHelp)
	o.bind(fs, false)
	out.bind(fs)
	if _, err := c.parse(fs, args, 0, 0); err != nil {
		return err
	}
	s, err := c.connect(o)
	if err != nil {
		return err
	}
	me, err := s.client.Me(ctx)
	if err != nil {
		return err
	}
	return c.print(out, me.User, func(w *tabwriter.Writer) {
		role := "user"
		if me.User.PlatformAdmin {
			role = "platform admin"
		}
		fmt.Fprintf(w, "USER\tROLE\tSERVER\tCONTEXT\n%s\t%s\t%s\t%s\n", me.User.Username, role, s.ctx.Server, dash(s.name))
	})
}

var contextCommands = []subcommand{
	{"list", "list the contexts of the config file", (*cli).contextList},
	{"use", "make a context the current one (and set its default workspace)", (*cli).contextUse},
}

func (c *cli) contextList(_ context.Context, args []string) error {
	fs := newFlags("context list", "", `List the contexts of the config file; * marks the current one.

Examples:
  switchyard context list`)
	if _, err := c.parse(fs, args, 0, 0); err != nil {
		return err
	}
	cfg, err := c.loadConfig()
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "CURRENT\tNAME\tSERVER\tUSER\tWORKSPACE\tLOGGED IN")
	for _, n := range cfg.names() {
		cx, cur := cfg.Contexts[n], ""
		if n == cfg.CurrentContext {
			cur = "*"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%v\n", cur, n, cx.Server, dash(cx.User), dash(cx.Workspace), cx.Token != "")
	}
	return w.Flush()
}

func (c *cli) contextUse(_ context.Context, args []string) error {
	fs := newFlags("context use", "NAME [flags]", `Make NAME the current context. --workspace also sets its default workspace.

Examples:
  switchyard context use prod
  switchyard context use prod -w payments`)
	ws := fs.String("workspace", "", "set the context's default workspace")
	fs.StringVar(ws, "w", "", "shorthand for --workspace")
	pos, err := c.parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	cfg, err := c.loadConfig()
	if err != nil {
		return err
	}
	cx, ok := cfg.Contexts[pos[0]]
	if !ok {
		return fmt.Errorf("no context %q (see switchyard context list)", pos[0])
	}
	if *ws != "" {
		cx.Workspace = *ws
	}
	cfg.CurrentContext = pos[0]
	if err := cfg.save(); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "Switched to context %q.\n", pos[0])
	return nil
}
