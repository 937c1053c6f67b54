package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/switchyard/switchyard/client"
	"github.com/switchyard/switchyard/internal/version"
)

// versionLine is --version's answer: the client's build.
func versionLine() string {
	v := version.Get()
	return fmt.Sprintf("switchyard %s (revision %s, %s)", v.Version, dash(v.Revision), v.GoVersion)
}

// versions is what version -o json prints, as kubectl version does.
type versions struct {
	Client client.BuildInfo  `json:"client"`
	Server *client.BuildInfo `json:"server,omitempty"`
	// ServerError says why the server's version is missing.
	ServerError string `json:"server_error,omitempty"`
}

func (c *cli) versionCmd() *cobra.Command {
	var conn connFlags
	var out outputFlags
	var clientOnly bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the client's and the server's version",
		Long: `Print this client's build (version, revision, Go version) and, unless
--client, the server's, from GET /api/v1/version (no sign-in needed), as
kubectl version does. The server is the current context's, or SWITCHYARD_URL.
Without a reachable server it prints the client's and fails.`,
		Example: `  switchyard version
  switchyard version --client
  switchyard version -o json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.check(); err != nil {
				return err
			}
			return c.version(cmd.Context(), conn, out, clientOnly)
		},
	}
	conn.bind(c, cmd, false, false)
	out.bind(cmd)
	cmd.Flags().BoolVar(&clientOnly, "client", false, "only the client's version: do not ask a server")
	return cmd
}

func (c *cli) version(ctx context.Context, conn connFlags, out outputFlags, clientOnly bool) error {
	v := version.Get()
	vs := versions{Client: client.BuildInfo{Version: v.Version, Revision: v.Revision, GoVersion: v.GoVersion}}
	var serverErr error
	if !clientOnly {
		s, err := c.connect(conn)
		if err == nil {
			ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			vs.Server, err = s.client.ServerVersion(ctx)
		}
		if err != nil {
			vs.Server, serverErr = nil, fmt.Errorf("server version: %s", describe(err))
			vs.ServerError = describe(err)
		}
	}
	t := table{head: []string{"COMPONENT", "VERSION", "REVISION", "GO"}}
	t.add("Client", dash(vs.Client.Version), dash(vs.Client.Revision), dash(vs.Client.GoVersion))
	if vs.Server != nil {
		t.add("Server", dash(vs.Server.Version), dash(vs.Server.Revision), dash(vs.Server.GoVersion))
	}
	if err := c.print(out, listing{kind: "Version", single: true, items: vs, table: t}); err != nil {
		return err
	}
	return serverErr
}
