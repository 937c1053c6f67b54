package release

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/cluster"
	"github.com/switchyard/switchyard/internal/store"
	"github.com/switchyard/switchyard/internal/testenv"
)

// proxy forwards TCP connections to target until closed; closing it cuts
// every connection, like a network outage between Switchyard and the cluster.
type proxy struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(up, c); up.Close() }()
			go func() { _, _ = io.Copy(c, up); c.Close() }()
		}
	}()
	t.Cleanup(p.close)
	return p
}

func (p *proxy) close() {
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
}

// TestUnreachableKeepsLastStatus cuts the network to a job's cluster: the
// job then reads Unknown, marked stale, with its last known status and when
// it was observed.
func TestUnreachableKeepsLastStatus(t *testing.T) {
	kubeconfig := testenv.Kubeconfig(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e := engine(t)
	ns := testenv.Namespace(t, e.Kube, "unreachable")
	app(ctx, t, e, ns)

	host := strings.TrimPrefix(testenv.RESTConfig(t, kubeconfig).Host, "https://")
	p := startProxy(t, host)
	data, err := os.ReadFile(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	viaProxy := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(viaProxy, []byte(strings.ReplaceAll(string(data), host, p.ln.Addr().String())), 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, store.Options{DataDir: t.TempDir()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	key, _ := cluster.NewKeyring([]byte("0123456789abcdef0123456789abcdef"))
	mgr := &cluster.Manager{Store: st, Keyring: key, Logger: slog.New(slog.DiscardHandler), ProbeTimeout: time.Second}
	defer mgr.Close()
	c, err := mgr.RegisterFromPath(ctx, "far", viaProxy, "")
	if err != nil {
		t.Fatal(err)
	}
	ws, _ := st.CreateWorkspace(ctx, store.Workspace{Name: "team"})
	if _, err := st.CreateBinding(ctx, store.Binding{WorkspaceID: ws.ID, ClusterID: c.ID, Namespace: ns}); err != nil {
		t.Fatal(err)
	}
	svc := &Service{Store: st, Clusters: mgr, Owner: "r1"}
	if _, _, err := svc.Create(ctx, ws, "alice", CreateRequest{Cluster: "far", Spec: Spec{Name: "app-bg", Namespace: ns, Deployment: "app", Service: "app"}}); err != nil {
		t.Fatalf("create: %v", err)
	}
	var v View
	err = e.wait(ctx, "Healthy through the proxy", func(ctx context.Context) (bool, error) {
		v, err = svc.Get(ctx, ws, "app-bg")
		return err == nil && v.Status.Phase == PhaseHealthy, err
	})
	if err != nil {
		t.Fatal(err)
	}

	p.close()
	if st, _ := mgr.Probe(ctx, c.ID); st.Reachable {
		t.Fatal("the probe still finds the cluster reachable after the outage")
	}
	v, err = svc.Get(ctx, ws, "app-bg")
	if err != nil {
		t.Fatal(err)
	}
	if v.Status.Phase != PhaseUnknown || !v.Stale || v.Job.ObservedAt == nil || !strings.Contains(v.Status.Message, "Healthy") {
		t.Fatalf("after the outage: phase %q stale %v observed %v message %q; want Unknown, stale, last known Healthy with its time",
			v.Status.Phase, v.Stale, v.Job.ObservedAt, v.Status.Message)
	}
	if _, err := svc.Operate(ctx, ws, "app-bg", OpPromote, OperateRequest{}); err == nil {
		t.Fatal("promote on an unreachable cluster succeeded")
	}
}
