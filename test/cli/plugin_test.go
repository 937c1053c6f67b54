package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/switchyard/switchyard/internal/testenv"
)

// TestKubectlPlugin installs the plugin as `make install-kubectl-plugin`
// does (which also stamps the build with VERSION) and runs it through
// kubectl: kubectl finds it, its help says "kubectl switchyard", and
// version reports the stamped build.
func TestKubectlPlugin(t *testing.T) {
	kubectl := testenv.Tool(t, "kubectl", "apt-get install kubectl")
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	pluginDir := t.TempDir()
	binDir := t.TempDir()
	make := exec.Command("make", "-C", repo, "install-kubectl-plugin", "PLUGIN_DIR="+pluginDir, "VERSION=v9.9.9-test", "REVISION=abc123",
		"BIN_DIR="+binDir)
	if out, err := make.CombinedOutput(); err != nil {
		t.Fatalf("make install-kubectl-plugin: %v\n%s", err, out)
	}
	link := filepath.Join(pluginDir, "kubectl-switchyard")
	if target, err := os.Readlink(link); err != nil || !filepath.IsAbs(target) {
		t.Fatalf("kubectl-switchyard is not a link to an absolute path: %q, %v", target, err)
	}
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(kubectl, args...)
		cmd.Env = append(os.Environ(), "PATH="+pluginDir+":"+os.Getenv("PATH"), "SWITCHYARD_CONFIG="+filepath.Join(t.TempDir(), "c.json"))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	if out := run("plugin", "list"); !strings.Contains(out, link) {
		t.Errorf("kubectl plugin list = %q, want %s", out, link)
	}
	if out := run("switchyard", "job", "wait", "--help"); !strings.Contains(out, "kubectl switchyard job wait NAME --for PHASE") ||
		!strings.Contains(out, "  kubectl switchyard job wait web-bg --for healthy") {
		t.Errorf("kubectl switchyard job wait --help:\n%s\nwant the plugin's name in usage and examples", out)
	}
	var v struct {
		Client struct{ Version, Revision string }
	}
	if out := run("switchyard", "version", "--client", "-o", "json"); json.Unmarshal([]byte(out), &v) != nil || v.Client.Version != "v9.9.9-test" || v.Client.Revision != "abc123" {
		t.Errorf("kubectl switchyard version --client -o json = %q, want version v9.9.9-test, revision abc123 (from make's -ldflags)", out)
	}
}

// TestPluginManifest checks the krew-style manifest installs this binary as
// kubectl-switchyard on every platform it lists.
func TestPluginManifest(t *testing.T) {
	data, err := os.ReadFile("../../plugins/switchyard.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		APIVersion, Kind string
		Metadata         struct{ Name string }
		Spec             struct {
			Version, ShortDescription, Homepage, Description, Caveats string
			Platforms                                                 []struct {
				URI, Sha256, Bin string
				Selector         struct{ MatchLabels map[string]string } `json:"selector"`
				Files            []struct{ From, To string }
			}
		}
	}
	if err := yaml.UnmarshalStrict(data, &m); err != nil {
		t.Fatalf("plugins/switchyard.yaml: %v", err)
	}
	if m.Kind != "Plugin" || !strings.HasPrefix(m.APIVersion, "krew.googlecontainertools.github.com/") || m.Metadata.Name != "switchyard" ||
		m.Spec.ShortDescription == "" || len(m.Spec.Platforms) == 0 {
		t.Errorf("manifest = %+v; want a krew Plugin named switchyard with platforms", m)
	}
	for _, p := range m.Spec.Platforms {
		if p.Bin != "kubectl-switchyard" || p.URI == "" || p.Selector.MatchLabels["os"] == "" || len(p.Files) == 0 ||
			p.Files[0].From != "switchyard" || p.Files[0].To != "kubectl-switchyard" {
			t.Errorf("platform %+v: want bin kubectl-switchyard from the switchyard binary", p)
		}
	}
}
