package cluster

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/switchyard/switchyard/internal/store"
)

// testKubeconfig is a self-contained kubeconfig with two contexts.
const testKubeconfig = `apiVersion: v1
kind: Config
clusters:
- name: a
  cluster: {server: "https://127.0.0.1:6443", insecure-skip-tls-verify: true}
- name: b
  cluster: {server: "https://127.0.0.1:7443", insecure-skip-tls-verify: true}
users:
- name: u
  user: {token: secret-token}
contexts:
- name: ctx-a
  context: {cluster: a, user: u}
- name: ctx-b
  context: {cluster: b, user: u}
current-context: ctx-a
`

func TestParseKubeconfig(t *testing.T) {
	for _, tt := range []struct {
		name, context, wantContext, wantServer string
	}{
		{"current context", "", "ctx-a", "https://127.0.0.1:6443"},
		{"named context", "ctx-b", "ctx-b", "https://127.0.0.1:7443"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			kc, err := parseKubeconfig([]byte(testKubeconfig), tt.context)
			if err != nil {
				t.Fatalf("parseKubeconfig: %v", err)
			}
			if kc.context != tt.wantContext || kc.rest.Host != tt.wantServer || kc.rest.BearerToken != "secret-token" {
				t.Errorf("got context %q, host %q; want %q, %q and the token", kc.context, kc.rest.Host, tt.wantContext, tt.wantServer)
			}
			// The sealed form holds only the chosen context and still parses.
			cfg, err := clientcmd.Load(kc.raw)
			if err != nil || len(cfg.Contexts) != 1 || len(cfg.Clusters) != 1 || cfg.CurrentContext != tt.wantContext {
				t.Errorf("reduced kubeconfig: %v, %d contexts, %d clusters, current %q; want 1, 1, %q",
					err, len(cfg.Contexts), len(cfg.Clusters), cfg.CurrentContext, tt.wantContext)
			}
		})
	}
}

func TestParseKubeconfigErrors(t *testing.T) {
	noCurrent := strings.Replace(testKubeconfig, "current-context: ctx-a", "", 1)
	tests := []struct {
		name, data, context string
		field, want         string
	}{
		{"empty", "", "", "kubeconfig", "must not be empty"},
		{"blank", " \n", "", "kubeconfig", "must not be empty"},
		{"garbage", "{not yaml: [", "", "kubeconfig", "not a valid kubeconfig"},
		{"no contexts", "apiVersion: v1\nkind: Config\n", "", "kubeconfig", "no contexts"},
		{"unknown context", testKubeconfig, "ctx-c", "context", `context "ctx-c" is not in the kubeconfig; it has "ctx-a", "ctx-b"`},
		{"no current context", noCurrent, "", "context", "no current-context"},
		{"missing cluster", strings.Replace(testKubeconfig, "{cluster: b,", "{cluster: z,", 1), "ctx-b", "kubeconfig", "cannot locate cluster z"},
		{"no server", strings.Replace(testKubeconfig, `server: "https://127.0.0.1:6443", `, "", 1), "", "kubeconfig", `cluster "a" has no server`},
		{"file reference", strings.Replace(testKubeconfig, "insecure-skip-tls-verify: true}\n- name: b", "certificate-authority: /etc/ca.crt}\n- name: b", 1),
			"", "kubeconfig", "refers to file /etc/ca.crt"},
		{"token file", strings.Replace(testKubeconfig, "{token: secret-token}", "{tokenFile: /var/run/token}", 1), "", "kubeconfig", "refers to file /var/run/token"},
		{"exec plugin", strings.Replace(testKubeconfig, "{token: secret-token}", "{exec: {apiVersion: client.authentication.k8s.io/v1, command: rm}}", 1),
			"", "kubeconfig", "credential plugin"},
		{"too large", testKubeconfig + "#" + strings.Repeat("x", maxKubeconfigSize), "", "kubeconfig", "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseKubeconfig([]byte(tt.data), tt.context)
			var ve *store.ValidationError
			if !errors.As(err, &ve) || ve.Field != tt.field || !strings.Contains(ve.Problem, tt.want) {
				t.Fatalf("parseKubeconfig error = %v; want a ValidationError on %q containing %q", err, tt.field, tt.want)
			}
			if !errors.Is(err, store.ErrInvalid) {
				t.Errorf("error %v does not match store.ErrInvalid", err)
			}
			if strings.Contains(err.Error(), "secret-token") {
				t.Errorf("error %q leaks the token", err)
			}
		})
	}
}

func TestLoadKubeconfigFileInlinesFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("ca.crt", "CA-BYTES")
	write("token", "file-token\n")
	write("config", strings.NewReplacer(
		"insecure-skip-tls-verify: true}\n- name: b", "certificate-authority: ca.crt}\n- name: b",
		"{token: secret-token}", "{tokenFile: token}").Replace(testKubeconfig))
	kc, err := loadKubeconfigFile(filepath.Join(dir, "config"), "")
	if err != nil {
		t.Fatalf("loadKubeconfigFile: %v", err)
	}
	cfg, err := clientcmd.Load(kc.raw)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(cfg.Clusters["a"].CertificateAuthorityData); got != "CA-BYTES" || cfg.Clusters["a"].CertificateAuthority != "" {
		t.Errorf("CA data = %q (file %q); want the inlined file content", got, cfg.Clusters["a"].CertificateAuthority)
	}
	if u := cfg.AuthInfos["u"]; u.Token != "file-token" || u.TokenFile != "" {
		t.Errorf("token = %q (file %q); want the inlined token", u.Token, u.TokenFile)
	}
	if fileReference(cfg) != "" {
		t.Errorf("reduced kubeconfig still refers to %s", fileReference(cfg))
	}

	_, err = loadKubeconfigFile(filepath.Join(dir, "missing"), "")
	var ve *store.ValidationError
	if !errors.As(err, &ve) || ve.Field != "kubeconfig" {
		t.Errorf("missing file: error = %v, want a ValidationError on kubeconfig", err)
	}
}

func TestValidateName(t *testing.T) {
	long := strings.Repeat("a", 64)
	for _, tt := range []struct {
		name string
		ok   bool
	}{
		{"switchyard", true}, {"switchyard-2", true}, {"a", true}, {strings.Repeat("a", 63), true},
		{"", false}, {long, false}, {"Prod", false}, {"-prod", false}, {"prod-", false}, {"prod.eu", false}, {"prod_eu", false},
	} {
		err := validateName(tt.name)
		var ve *store.ValidationError
		if tt.ok != (err == nil) || (err != nil && (!errors.As(err, &ve) || ve.Field != "name")) {
			t.Errorf("validateName(%q) = %v; want ok=%v (else a ValidationError on name)", tt.name, err, tt.ok)
		}
	}
}
