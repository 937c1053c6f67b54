package cli

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestReadmeCommands keeps the README's CLI section true to the binary:
// its command list names every group with exactly its subcommands, and
// every top-level command.
func TestReadmeCommands(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(data), "\n## CLI\n")
	section, _, _ = strings.Cut(section, "\n## ")
	_, list, ok := strings.Cut(section, "\nCommands: ")
	if !ok {
		t.Fatal(`README's CLI section has no "Commands:" paragraph`)
	}
	list, _, _ = strings.Cut(list, "\n\n")
	subs := map[string][]string{}
	for _, cmd := range commands(t) {
		if len(cmd) == 2 {
			subs[cmd[0]] = append(subs[cmd[0]], cmd[1])
		} else if !strings.Contains(list, "`"+cmd[0]+"`") {
			t.Errorf("README's command list lacks `%s`", cmd[0])
		}
	}
	for group, want := range subs {
		m := regexp.MustCompile("`" + group + `\s+([a-z|\s-]+)` + "`").FindStringSubmatch(list)
		if m == nil {
			t.Errorf("README's command list lacks `%s …`", group)
			continue
		}
		got := strings.Split(strings.Join(strings.Fields(m[1]), ""), "|")
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("README lists %s %v, the binary has %v", group, got, want)
		}
	}
	for _, f := range []string{"table", "wide", "json", "yaml", "name", "jsonpath=", "custom-columns=", "--no-headers"} {
		if !strings.Contains(section, "`"+f) && !strings.Contains(section, "`-o "+f) {
			t.Errorf("README's CLI section does not mention -o %s", f)
		}
	}
}
