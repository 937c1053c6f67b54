package cli

import (
	"fmt"
	"strings"
)

const completionHelp = `Print a shell completion script for commands, subcommands and job names.

Examples:
  source <(switchyard completion bash)                      # bash, this shell
  switchyard completion bash > /etc/bash_completion.d/switchyard
  switchyard completion zsh > "${fpath[1]}/_switchyard"      # zsh`

// completionWords is every command with its subcommands; the scripts are
// generated from it so they never fall behind.
func completionWords() [][2]string {
	groups := []struct {
		name string
		subs []subcommand
	}{
		{"context", contextCommands}, {"job", jobCommands}, {"cluster", clusterCommands},
		{"workspace", workspaceCommands}, {"member", memberCommands}, {"binding", bindingCommands},
		{"token", tokenCommands}, {"user", userCommands}, {"audit", auditCommands},
	}
	out := [][2]string{{"serve", ""}, {"login", ""}, {"logout", ""}, {"whoami", ""}, {"version", ""}, {"help", ""}, {"completion", "bash zsh"}}
	for _, g := range groups {
		var names []string
		for _, s := range g.subs {
			names = append(names, s.name)
		}
		out = append(out, [2]string{g.name, strings.Join(names, " ")})
	}
	return out
}

const bashTemplate = `# bash completion for switchyard
_switchyard() {
    local cur=${COMP_WORDS[COMP_CWORD]} cmd=${COMP_WORDS[1]} sub=${COMP_WORDS[2]}
    if [[ $COMP_CWORD -eq 1 ]]; then
        COMPREPLY=($(compgen -W "%s" -- "$cur")); return
    fi
    if [[ $COMP_CWORD -eq 2 ]]; then
        case $cmd in
%s        esac
        return
    fi
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "--help --context --workspace --output" -- "$cur")); return
    fi
    if [[ $cmd == job && $COMP_CWORD -eq 3 && $sub != list && $sub != create ]]; then
        COMPREPLY=($(compgen -W "$(switchyard job list -o json 2>/dev/null | sed -n 's/^      "name": "\(.*\)",$/\1/p')" -- "$cur"))
    fi
}
complete -o default -F _switchyard switchyard
`

const zshTemplate = `#compdef switchyard
# zsh completion for switchyard
_switchyard() {
    local -a cmds subs
    cmds=(%s)
    if (( CURRENT == 2 )); then
        compadd -- $cmds; return
    fi
    case $words[2] in
%s    esac
    if (( CURRENT == 3 )); then
        compadd -- $subs
    elif [[ $words[2] == job && $words[3] != (list|create) && CURRENT == 4 ]]; then
        compadd -- ${(f)"$(switchyard job list -o json 2>/dev/null | sed -n 's/^      "name": "\(.*\)",$/\1/p')"}
    fi
}
compdef _switchyard switchyard
`

func (c *cli) completion(args []string) error {
	fs := newFlags("completion", "bash|zsh", completionHelp)
	pos, err := c.parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	words := completionWords()
	var cmds []string
	var bashCases, zshCases strings.Builder
	for _, w := range words {
		cmds = append(cmds, w[0])
		if w[1] != "" {
			fmt.Fprintf(&bashCases, "            %s) COMPREPLY=($(compgen -W \"%s\" -- \"$cur\")) ;;\n", w[0], w[1])
			fmt.Fprintf(&zshCases, "        %s) subs=(%s) ;;\n", w[0], w[1])
		}
	}
	switch pos[0] {
	case "bash":
		fmt.Fprintf(c.stdout, bashTemplate, strings.Join(cmds, " "), bashCases.String())
	case "zsh":
		fmt.Fprintf(c.stdout, zshTemplate, strings.Join(cmds, " "), zshCases.String())
	default:
		return usageError{fmt.Sprintf("completion: unknown shell %q: bash or zsh", pos[0])}
	}
	return nil
}
