package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/switchyard/switchyard/client"
)

// config is the CLI's config file: one context per server signed in to.
type config struct {
	CurrentContext string                    `json:"current_context"`
	Contexts       map[string]*serverContext `json:"contexts"`

	path string
}

// serverContext is one server and the credentials for it, like a kubectl context.
type serverContext struct {
	Server    string `json:"server"`
	Token     string `json:"token,omitempty"`
	TokenID   int64  `json:"token_id,omitempty"` // to revoke it on logout
	User      string `json:"user,omitempty"`
	Workspace string `json:"workspace,omitempty"` // default for -w
}

// configPath is $SWITCHYARD_CONFIG or ~/.config/switchyard/config.json.
func (c *cli) configPath() (string, error) {
	if p := c.getenv("SWITCHYARD_CONFIG"); p != "" {
		return p, nil
	}
	dir := c.getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("find the home directory (set SWITCHYARD_CONFIG): %w", err)
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "switchyard", "config.json"), nil
}

// loadConfig reads the config file; a missing file is an empty config.
func (c *cli) loadConfig() (*config, error) {
	path, err := c.configPath()
	if err != nil {
		return nil, err
	}
	cfg := &config{path: path, Contexts: map[string]*serverContext{}}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return cfg, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	if err := json.Unmarshal(data, cfg); err != nil {
		return nil, fmt.Errorf("read config %s: %w", path, err)
	}
	if cfg.Contexts == nil {
		cfg.Contexts = map[string]*serverContext{}
	}
	return cfg, nil
}

// save writes the config with 0600 permissions: it holds API tokens.
func (cfg *config) save() error {
	if err := os.MkdirAll(filepath.Dir(cfg.path), 0o700); err != nil {
		return fmt.Errorf("save config: %w", err)
	}
	data, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return fmt.Errorf("save config: %w", err)
	}
	tmp := cfg.path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("save config: %w", err)
	}
	if err := os.Chmod(tmp, 0o600); err != nil { // WriteFile keeps the mode of an existing file
		return fmt.Errorf("save config: %w", err)
	}
	if err := os.Rename(tmp, cfg.path); err != nil {
		return fmt.Errorf("save config: %w", err)
	}
	return nil
}

func (cfg *config) names() []string {
	names := make([]string, 0, len(cfg.Contexts))
	for n := range cfg.Contexts {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// connFlags are the flags of every command that talks to a server.
type connFlags struct {
	context   string
	workspace string
}

// bind adds --context and, with withWorkspace, -w/--workspace (shorthand
// "w" unless short is false: job list's -w is --watch, as in kubectl get).
func (o *connFlags) bind(c *cli, cmd *cobra.Command, withWorkspace, short bool) {
	cmd.Flags().StringVar(&o.context, "context", "", "use this context of the config file instead of the current one")
	_ = cmd.RegisterFlagCompletionFunc("context", c.completeContexts)
	if withWorkspace {
		usage := "workspace (default: SWITCHYARD_WORKSPACE, then the context's)"
		if short {
			cmd.Flags().StringVarP(&o.workspace, "workspace", "w", "", usage)
		} else {
			cmd.Flags().StringVar(&o.workspace, "workspace", "", usage)
		}
		_ = cmd.RegisterFlagCompletionFunc("workspace", c.completeWorkspaces(o))
	}
}

// session is a client ready to call a server, with what it was resolved from.
type session struct {
	client    *client.Client
	cfg       *config
	name      string         // context name; "" when only the environment was used
	ctx       *serverContext // the context as resolved, environment overrides applied
	workspace string
}

// connect resolves the server and token: the environment (SWITCHYARD_URL,
// SWITCHYARD_TOKEN) overrides the context named by --context or the current one.
func (c *cli) connect(o connFlags) (*session, error) {
	cfg, err := c.loadConfig()
	if err != nil {
		return nil, err
	}
	name, resolved, err := c.resolve(cfg, o.context)
	if err != nil {
		return nil, err
	}
	cl, err := client.New(resolved.Server, client.WithToken(resolved.Token))
	if err != nil {
		return nil, err
	}
	s := &session{client: cl, cfg: cfg, name: name, ctx: resolved, workspace: o.workspace}
	for _, ws := range []string{c.getenv("SWITCHYARD_WORKSPACE"), resolved.Workspace} {
		if s.workspace == "" {
			s.workspace = ws
		}
	}
	return s, nil
}

// resolve picks the context (named, else the current one) and applies the
// environment to a copy of it.
func (c *cli) resolve(cfg *config, named string) (string, *serverContext, error) {
	name := named
	if name == "" {
		name = cfg.CurrentContext
	}
	resolved := serverContext{}
	if cx, ok := cfg.Contexts[name]; ok {
		resolved = *cx
	} else if named != "" {
		return "", nil, usageError{fmt.Sprintf("no context %q in %s (see switchyard context list)", name, cfg.path)}
	}
	if v := strings.TrimSuffix(c.getenv("SWITCHYARD_URL"), "/"); v != "" && v != resolved.Server {
		resolved = serverContext{Server: v} // another server: never send it the context's token
	}
	if v := c.getenv("SWITCHYARD_TOKEN"); v != "" {
		resolved.Token, resolved.TokenID = v, 0
	}
	if resolved.Server == "" {
		return "", nil, errors.New("not logged in: run switchyard login URL (or set SWITCHYARD_URL and SWITCHYARD_TOKEN)")
	}
	return name, &resolved, nil
}

// needWorkspace returns the session's workspace or says how to pick one.
func (s *session) needWorkspace() (string, error) {
	if s.workspace == "" {
		return "", usageError{"no workspace: pass -w NAME, or set one with switchyard context use NAME --workspace WS"}
	}
	return s.workspace, nil
}
