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
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/switchyard/switchyard/client"
)

const loginLong = `Sign in to a Switchyard server and store a personal API token for it in the
config file ($SWITCHYARD_CONFIG or ~/.config/switchyard/config.json, mode 0600),
as a context named after the server's host (or --name). With a password, the CLI
signs in, creates an API token named "cli-<host>" and stores that token, never
the password; the token never expires unless --token-expires gives its lifetime
(30d, or a bare 30: days). With --token (or SWITCHYARD_TOKEN) it checks and
stores the token. The new context becomes the current one.`

const loginExample = `  switchyard login http://127.0.0.1:8080            # on a terminal: prompts for user and password
  echo "$PASSWORD" | switchyard login http://127.0.0.1:8080 -u admin --password-stdin
  echo "$PASSWORD" | switchyard login http://127.0.0.1:8080 -u admin --password-stdin --token-expires 30d
  switchyard login http://127.0.0.1:8080 --token "$SWITCHYARD_TOKEN" --name ci -w demo`

func (c *cli) loginCmd() *cobra.Command {
	var o loginOptions
	cmd := &cobra.Command{
		Use:     "login URL",
		Short:   "Sign in to a server and store an API token",
		Long:    loginLong,
		Example: loginExample,
		Args:    argsBetween(1, 1),
		RunE:    func(cmd *cobra.Command, args []string) error { return c.login(cmd.Context(), args[0], o) },
	}
	f := cmd.Flags()
	f.StringVarP(&o.user, "username", "u", "", "user name (prompted for on a terminal)")
	f.BoolVar(&o.stdinPw, "password-stdin", false, "read the password from standard input")
	f.StringVar(&o.token, "token", "", "store this API token instead of signing in with a password (env SWITCHYARD_TOKEN)")
	f.Var(daysFlag(&o.days), "token-expires", "lifetime of the token a password login creates (30d, or a bare 30: days; default: it never expires)")
	f.StringVar(&o.name, "name", "", "context name (default: the server's host:port)")
	f.StringVarP(&o.workspace, "workspace", "w", "", "default workspace of the context")
	f.BoolVar(&o.sso, "sso", false, "sign in through the server's identity provider: prints a URL to open in a browser, waits for it on a localhost port")
	cmd.MarkFlagsMutuallyExclusive("token", "password-stdin")
	cmd.MarkFlagsMutuallyExclusive("token", "sso")
	cmd.MarkFlagsMutuallyExclusive("sso", "password-stdin")
	cmd.MarkFlagsMutuallyExclusive("sso", "username")
	return cmd
}

// loginOptions are login's flags.
type loginOptions struct {
	user, token, name, workspace string
	stdinPw, sso                 bool
	days                         int
}

func (c *cli) login(ctx context.Context, arg string, o loginOptions) error {
	server := strings.TrimSuffix(arg, "/")
	u, err := url.Parse(server)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return usageError{fmt.Sprintf("login: %q is not a server URL like https://host:port", arg)}
	}
	if o.token == "" && !o.stdinPw && !o.sso {
		o.token = c.getenv("SWITCHYARD_TOKEN")
	}
	cx := &serverContext{Server: server, Workspace: o.workspace}
	switch {
	case o.token != "" && o.days > 0:
		return usageError{"login: --token-expires applies to the token a password login creates, not to --token or SWITCHYARD_TOKEN"}
	case o.token != "":
		err = c.storeToken(ctx, cx, o.token)
	case o.sso:
		err = c.ssoLogin(ctx, cx, u.Host, o.days)
	default:
		err = c.passwordLogin(ctx, cx, u.Host, o.user, o.stdinPw, o.days)
	}
	if err != nil {
		return err
	}
	if o.name == "" {
		o.name = u.Host
	}
	if err := c.saveLogin(ctx, o.name, cx); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "Logged in to %s as %s (context %q).\n", server, cx.User, o.name)
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
	password, err := c.readPassword(in, stdinPw, " (or --token to store an API token instead)")
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
// hint ends the message when there is no terminal to prompt on.
func (c *cli) readPassword(in *bufio.Reader, stdinPw bool, hint string) (string, error) {
	if stdinPw {
		line, err := in.ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("read the password: %w", err)
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	if !c.stdinTTY {
		return "", usageError{"no terminal to prompt for a password: use --password-stdin" + hint}
	}
	fmt.Fprint(c.stderr, "Password: ")
	pw, err := term.ReadPassword(int(os.Stdin.Fd()))
	fmt.Fprintln(c.stderr)
	if err != nil {
		return "", fmt.Errorf("read the password: %w", err)
	}
	return string(pw), nil
}

func (c *cli) logoutCmd() *cobra.Command {
	var o connFlags
	cmd := &cobra.Command{
		Use:   "logout",
		Short: "Revoke the stored token and forget it",
		Long: `Revoke the context's API token on the server and remove it from the config
file. The context keeps its server, so "switchyard login" can sign in again.`,
		Example: `  switchyard logout --context ci
  switchyard logout`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return c.logout(cmd.Context(), o) },
	}
	o.bind(c, cmd, false, false)
	return cmd
}

func (c *cli) logout(ctx context.Context, o connFlags) error {
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

func (c *cli) whoamiCmd() *cobra.Command {
	var o connFlags
	var out outputFlags
	cmd := &cobra.Command{
		Use:   "whoami",
		Short: "Show who you are signed in as",
		Long:  "Show the user the current context (or SWITCHYARD_URL/SWITCHYARD_TOKEN) signs in as.",
		Example: `  switchyard whoami
  switchyard whoami -o json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return c.whoami(cmd.Context(), o, out) },
	}
	o.bind(c, cmd, false, false)
	out.bind(cmd)
	return cmd
}

func (c *cli) whoami(ctx context.Context, o connFlags, out outputFlags) error {
	if err := out.check(); err != nil {
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
	role := "user"
	if me.User.PlatformAdmin {
		role = "platform admin"
	}
	t := table{head: []string{"USER", "ROLE", "SERVER", "CONTEXT"}}
	if out.wide() {
		t.head = append(t.head, "USER ID", "CREATED")
	}
	t.add(dash(me.User.Username), role, dash(s.ctx.Server), dash(s.name))
	if out.wide() {
		t.rows[0] = append(t.rows[0], fmt.Sprint(me.User.ID), timestamp(&me.User.CreatedAt))
	}
	return c.print(out, listing{kind: "User", single: true, items: me.User, names: []string{"user/" + me.User.Username}, table: t})
}

func (c *cli) contextCmd() *cobra.Command {
	return c.group("context", "Switch between servers (contexts)", c.contextListCmd(), c.contextUseCmd())
}

func (c *cli) contextListCmd() *cobra.Command {
	var out outputFlags
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the contexts of the config file",
		Long:  "List the contexts of the config file; * marks the current one. Tokens are never shown.",
		Example: `  switchyard context list
  switchyard context list -o name`,
		Args: noArgs,
		RunE: func(*cobra.Command, []string) error { return c.contextList(out) },
	}
	out.bind(cmd)
	return cmd
}

// contextView is a context as context list shows it: never its token.
type contextView struct {
	Name      string `json:"name"`
	Current   bool   `json:"current"`
	Server    string `json:"server"`
	User      string `json:"user"`
	Workspace string `json:"workspace"`
	LoggedIn  bool   `json:"logged_in"`
}

func (c *cli) contextList(out outputFlags) error {
	if err := out.check(); err != nil {
		return err
	}
	cfg, err := c.loadConfig()
	if err != nil {
		return err
	}
	t := table{head: []string{"CURRENT", "NAME", "SERVER", "USER", "WORKSPACE", "LOGGED IN"}}
	if out.wide() {
		t.head = append(t.head, "TOKEN ID")
	}
	var views []contextView
	for _, n := range cfg.names() {
		cx, cur := cfg.Contexts[n], ""
		if n == cfg.CurrentContext {
			cur = "*"
		}
		views = append(views, contextView{Name: n, Current: cur == "*", Server: cx.Server, User: cx.User, Workspace: cx.Workspace, LoggedIn: cx.Token != ""})
		row := []string{cur, dash(n), dash(cx.Server), dash(cx.User), dash(cx.Workspace), yesNo(cx.Token != "")}
		if out.wide() {
			row = append(row, fmt.Sprint(cx.TokenID))
		}
		t.add(row...)
	}
	return c.print(out, listing{kind: "Context", items: views, table: t, scope: "in " + cfg.path,
		names: names("context", views, func(v contextView) string { return v.Name })})
}

func (c *cli) contextUseCmd() *cobra.Command {
	var ws string
	cmd := &cobra.Command{
		Use:   "use NAME",
		Short: "Make a context the current one (and set its default workspace)",
		Long:  "Make NAME the current context. --workspace also sets its default workspace.",
		Example: `  switchyard context use ci
  switchyard context use 127.0.0.1:8080 -w demo     # contexts are named after the server's host:port`,
		Args:              argsBetween(1, 1),
		ValidArgsFunction: c.completeContexts,
		RunE:              func(_ *cobra.Command, args []string) error { return c.contextUse(args[0], ws) },
	}
	cmd.Flags().StringVarP(&ws, "workspace", "w", "", "set the context's default workspace")
	return cmd
}

func (c *cli) contextUse(name, ws string) error {
	cfg, err := c.loadConfig()
	if err != nil {
		return err
	}
	cx, ok := cfg.Contexts[name]
	if !ok {
		return fmt.Errorf("no context %q (see switchyard context list)", name)
	}
	if ws != "" {
		cx.Workspace = ws
	}
	cfg.CurrentContext = name
	if err := cfg.save(); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "Switched to context %q.\n", name)
	return nil
}
