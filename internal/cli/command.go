package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
)

// subcommand is one verb of a command group, such as "job get".
type subcommand struct {
	name  string
	short string // one line for the group's help
	run   func(c *cli, ctx context.Context, args []string) error
}

// group runs the subcommand args[0] of the group name.
func (c *cli) group(ctx context.Context, name string, args []string, subs []subcommand) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		w := c.stdout
		if len(args) == 0 {
			w = c.stderr
		}
		c.groupHelp(w, name, subs)
		if len(args) == 0 {
			return usageError{fmt.Sprintf("%s: missing subcommand", name)}
		}
		return nil
	}
	for _, s := range subs {
		if s.name == args[0] {
			return s.run(c, ctx, args[1:])
		}
	}
	return usageError{fmt.Sprintf("%s: unknown subcommand %q (see switchyard %s --help)", name, args[0], name)}
}

func (c *cli) groupHelp(w io.Writer, name string, subs []subcommand) {
	fmt.Fprintf(w, "Usage: switchyard %s <subcommand> [flags]\n\nSubcommands:\n", name)
	for _, s := range subs {
		fmt.Fprintf(w, "  %-10s %s\n", s.name, s.short)
	}
	fmt.Fprintf(w, "\nRun \"switchyard %s <subcommand> --help\" for its flags and examples.\n", name)
}

// flagSet is a command's flags with its help text.
type flagSet struct {
	*flag.FlagSet
	cmd  string // "job get"
	args string // synopsis of the positional arguments: "NAME"
	help string // description and examples
}

// newFlags starts the flags of command cmd. help is a description followed by examples.
func newFlags(cmd, args, help string) *flagSet {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &flagSet{FlagSet: fs, cmd: cmd, args: args, help: help}
}

// parse parses args, flags and positional arguments in any order (everything
// after "--" is positional), and checks the number of positional arguments is
// between min and max (max < 0: no limit). -h prints the help.
func (c *cli) parse(fs *flagSet, args []string, min, max int) ([]string, error) {
	var pos []string
	var tail []string
	for i, a := range args {
		if a == "--" {
			args, tail = args[:i], args[i+1:]
			break
		}
	}
	for {
		if err := fs.Parse(args); err != nil {
			if err == flag.ErrHelp {
				c.printHelp(c.stdout, fs)
				return nil, flag.ErrHelp
			}
			return nil, usageError{fmt.Sprintf("%s: %v (see switchyard %s --help)", fs.cmd, err, fs.cmd)}
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		pos, args = append(pos, args[0]), args[1:]
	}
	pos = append(pos, tail...)
	switch {
	case len(pos) < min:
		return nil, usageError{fmt.Sprintf("%s: missing argument: usage: switchyard %s %s", fs.cmd, fs.cmd, fs.args)}
	case max >= 0 && len(pos) > max:
		return nil, usageError{fmt.Sprintf("%s: unexpected argument %q: usage: switchyard %s %s", fs.cmd, pos[max], fs.cmd, fs.args)}
	}
	return pos, nil
}

func (c *cli) printHelp(w io.Writer, fs *flagSet) {
	fmt.Fprintf(w, "Usage: switchyard %s %s\n\n%s\n", fs.cmd, fs.args, strings.TrimSpace(fs.help))
	fmt.Fprintln(w, "\nFlags:")
	printFlags(w, fs.FlagSet)
}

// printFlags lists flags GNU style, a shorthand beside its long flag:
// "-w, --workspace string".
func printFlags(w io.Writer, fs *flag.FlagSet) {
	const shorthand = "shorthand for --"
	short := map[string]string{}
	fs.VisitAll(func(f *flag.Flag) {
		if long, ok := strings.CutPrefix(f.Usage, shorthand); ok {
			short[long] = f.Name
		}
	})
	fs.VisitAll(func(f *flag.Flag) {
		if strings.HasPrefix(f.Usage, shorthand) {
			return
		}
		name := "    --" + f.Name
		if s, ok := short[f.Name]; ok {
			name = "-" + s + ", --" + f.Name
		}
		typ, usage := flag.UnquoteUsage(f)
		if typ != "" {
			name += " " + typ
		}
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "0s" {
			usage += " (default " + f.DefValue + ")"
		}
		fmt.Fprintf(w, "  %s\n        %s\n", name, usage)
	})
}
