package cluster

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/switchyard/switchyard/internal/store"
)

// maxKubeconfigSize bounds an uploaded kubeconfig; real ones are a few KiB.
const maxKubeconfigSize = 1 << 20

// kubeconfig is a validated, self-contained kubeconfig reduced to one context.
type kubeconfig struct {
	context string       // the context it uses
	raw     []byte       // the reduced kubeconfig, the bytes to seal
	rest    *rest.Config // a client config built from raw
}

func invalid(field, format string, args ...any) error {
	return &store.ValidationError{Field: field, Problem: fmt.Sprintf(format, args...)}
}

// validateName checks that a cluster name is a DNS-1123 label.
func validateName(name string) error {
	if name == "" {
		return invalid("name", "must not be empty")
	}
	if !IsDNSLabel(name) {
		return invalid("name", "%s", DNSLabelRule)
	}
	return nil
}

// parseKubeconfig parses an uploaded kubeconfig and reduces it to
// kubeContext (its current context when empty). It must be self-contained:
// references to files on the server are refused.
func parseKubeconfig(data []byte, kubeContext string) (kubeconfig, error) {
	if len(strings.TrimSpace(string(data))) == 0 {
		return kubeconfig{}, invalid("kubeconfig", "must not be empty")
	}
	if len(data) > maxKubeconfigSize {
		return kubeconfig{}, invalid("kubeconfig", "larger than %d bytes", maxKubeconfigSize)
	}
	cfg, err := clientcmd.Load(data)
	if err != nil {
		return kubeconfig{}, invalid("kubeconfig", "not a valid kubeconfig: %v", err)
	}
	if err := selectContext(cfg, kubeContext); err != nil {
		return kubeconfig{}, err
	}
	if f := fileReference(cfg); f != "" {
		return kubeconfig{}, invalid("kubeconfig", "refers to file %s on the server; "+
			"send a self-contained kubeconfig (kubectl config view --flatten --minify)", f)
	}
	return finish(cfg)
}

// loadKubeconfigFile reads a kubeconfig file of the server's operator and
// inlines the files it refers to, so the sealed copy stands alone.
func loadKubeconfigFile(path, kubeContext string) (kubeconfig, error) {
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		return kubeconfig{}, invalid("kubeconfig", "read %s: %v", path, err)
	}
	if len(cfg.Contexts) == 0 {
		return kubeconfig{}, invalid("kubeconfig", "%s has no contexts", path)
	}
	if err := selectContext(cfg, kubeContext); err != nil {
		return kubeconfig{}, err
	}
	if err := inlineFiles(cfg); err != nil {
		return kubeconfig{}, invalid("kubeconfig", "inline files of %s: %v", path, err)
	}
	return finish(cfg)
}

// selectContext makes kubeContext (or the current context) the only context
// of cfg, with only its cluster and user.
func selectContext(cfg *clientcmdapi.Config, kubeContext string) error {
	if len(cfg.Contexts) == 0 {
		return invalid("kubeconfig", "has no contexts")
	}
	name := kubeContext
	if name == "" {
		name = cfg.CurrentContext
	}
	if name == "" {
		return invalid("context", "the kubeconfig has no current-context; name one of %s", contextNames(cfg))
	}
	if _, ok := cfg.Contexts[name]; !ok {
		return invalid("context", "context %q is not in the kubeconfig; it has %s", name, contextNames(cfg))
	}
	cfg.CurrentContext = name
	if err := clientcmdapi.MinifyConfig(cfg); err != nil {
		return invalid("kubeconfig", "context %q: %v", name, err)
	}
	return nil
}

func contextNames(cfg *clientcmdapi.Config) string {
	names := make([]string, 0, len(cfg.Contexts))
	for n := range cfg.Contexts {
		names = append(names, fmt.Sprintf("%q", n))
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// fileReference returns the first file a (minified) kubeconfig refers to.
func fileReference(cfg *clientcmdapi.Config) string {
	for _, c := range cfg.Clusters {
		if c.CertificateAuthority != "" {
			return c.CertificateAuthority
		}
	}
	for _, u := range cfg.AuthInfos {
		for _, f := range []string{u.ClientCertificate, u.ClientKey, u.TokenFile} {
			if f != "" {
				return f
			}
		}
	}
	return ""
}

// inlineFiles replaces file references by their content.
func inlineFiles(cfg *clientcmdapi.Config) error {
	if err := clientcmdapi.FlattenConfig(cfg); err != nil {
		return err
	}
	for _, u := range cfg.AuthInfos {
		if u.TokenFile == "" {
			continue
		}
		path := u.TokenFile
		if !filepath.IsAbs(path) {
			path = filepath.Join(filepath.Dir(u.LocationOfOrigin), path)
		}
		token, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		u.Token, u.TokenFile = strings.TrimSpace(string(token)), ""
	}
	return nil
}

// finish checks what a client needs and serialises the reduced kubeconfig.
func finish(cfg *clientcmdapi.Config) (kubeconfig, error) {
	for name, u := range cfg.AuthInfos {
		if u.Exec != nil || u.AuthProvider != nil {
			return kubeconfig{}, invalid("kubeconfig", "user %q uses a credential plugin (exec or auth-provider), "+
				"which the server will not run; use a token or client certificate", name)
		}
	}
	for name, c := range cfg.Clusters {
		if c.Server == "" {
			return kubeconfig{}, invalid("kubeconfig", "cluster %q has no server", name)
		}
	}
	raw, err := clientcmd.Write(*cfg)
	if err != nil {
		return kubeconfig{}, invalid("kubeconfig", "serialise: %v", err)
	}
	rc, err := restConfig(raw)
	if err != nil {
		return kubeconfig{}, invalid("kubeconfig", "%v", err)
	}
	return kubeconfig{context: cfg.CurrentContext, raw: raw, rest: rc}, nil
}

// ClientQPS and ClientBurst bound the requests per second one connection to
// a cluster sends (client-go's own limiter): eight clients creating jobs at
// once send about ten requests each a job.
const (
	ClientQPS   = 100
	ClientBurst = 200
)

// restConfig builds the client config of a reduced kubeconfig.
func restConfig(raw []byte) (*rest.Config, error) {
	rc, err := clientcmd.RESTConfigFromKubeConfig(raw)
	if err != nil {
		return nil, err
	}
	rc.UserAgent = "switchyard"
	rc.QPS, rc.Burst = ClientQPS, ClientBurst
	return rc, nil
}
