// Command bench measures Switchyard at scale on a local cluster and prints
// one table, with what Argo Rollouts' own tools and a raw client-go call do
// in the same run beside each figure. hack/bench/bench.sh (make bench)
// brings up the cluster and builds what it runs; see README.md, Performance.
//
//	go run ./hack/bench --kubeconfig K --switchyard bin/switchyard --plugin kubectl-argo-rollouts --jobs 100
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/switchyard/switchyard/client"
)

type options struct {
	kubeconfig, switchyard, plugin, work      string
	jobs, perNamespace, clients, replicas     int
	listSamples, switchSamples, streamSamples int
	timeout                                   time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.kubeconfig, "kubeconfig", "", "the cluster to run on (its kubeconfig file)")
	flag.StringVar(&o.switchyard, "switchyard", "bin/switchyard", "the switchyard binary to serve")
	flag.StringVar(&o.plugin, "plugin", "", "kubectl-argo-rollouts, for its dashboard and undo (empty: skip them)")
	flag.StringVar(&o.work, "work", "", "directory for the server's data and logs (default: a temporary one)")
	flag.IntVar(&o.jobs, "jobs", 100, "jobs to create (one Deployment + Service each)")
	flag.IntVar(&o.perNamespace, "per-namespace", 50, "jobs per namespace (the Argo dashboard lists one namespace)")
	flag.IntVar(&o.clients, "clients", 8, "clients creating jobs at once")
	flag.IntVar(&o.replicas, "replicas", 1, "pods per Deployment")
	flag.IntVar(&o.listSamples, "list-samples", 200, "requests per list figure")
	flag.IntVar(&o.switchSamples, "switch-samples", 3, "switch-backs per method")
	flag.IntVar(&o.streamSamples, "stream-samples", 20, "changes timed to the console stream")
	flag.DurationVar(&o.timeout, "timeout", 30*time.Minute, "bound on the whole run")
	flag.Parse()
	log.SetFlags(log.Ltime)
	if o.kubeconfig == "" {
		log.Fatal("bench: --kubeconfig is required")
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	if err := run(ctx, o); err != nil {
		log.Fatalf("bench: %v", err)
	}
}

// row is one line of the table: a figure and what it is compared with.
type row struct{ what, switchyard, other, note string }

func run(ctx context.Context, o options) error {
	start := time.Now()
	if o.work != "" {
		if err := os.MkdirAll(o.work, 0o755); err != nil {
			return err
		}
	} else {
		dir, err := os.MkdirTemp("", "switchyard-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		o.work = dir
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", o.kubeconfig)
	if err != nil {
		return err
	}
	cfg.QPS, cfg.Burst = 200, 400
	kc, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	srv, err := startServer(ctx, o)
	if err != nil {
		return err
	}
	defer srv.stop()
	admin, err := client.New(srv.url)
	if err != nil {
		return err
	}
	if _, err := admin.Login(ctx, "admin", srv.password); err != nil {
		return fmt.Errorf("sign in: %w", err)
	}
	tok, err := admin.CreateToken(ctx, "bench", 1)
	if err != nil {
		return err
	}
	api := func() *client.Client { c, _ := client.New(srv.url, client.WithToken(tok.Secret)); return c }
	sy := api()
	flat, err := flatKubeconfig(o.kubeconfig)
	if err != nil {
		return err
	}
	if _, err := sy.CreateCluster(ctx, client.NewCluster{Name: "bench", Kubeconfig: string(flat)}); err != nil {
		return fmt.Errorf("register the cluster: %w", err)
	}
	if _, err := sy.CreateWorkspace(ctx, client.NewWorkspace{Name: "bench"}); err != nil {
		return err
	}
	apps := layout(o)
	log.Printf("creating %d Deployments + Services in %d namespaces", len(apps), len(namespaces(apps)))
	for _, ns := range namespaces(apps) {
		if err := createNamespace(ctx, kc, ns); err != nil {
			return err
		}
		if _, err := sy.CreateBinding(ctx, "bench", client.NewBinding{Cluster: "bench", Namespace: ns}); err != nil {
			return err
		}
	}
	if err := parallel(ctx, 8, len(apps), func(i int) error { return createApp(ctx, kc, apps[i], int32(o.replicas)) }); err != nil {
		return err
	}
	if err := waitApps(ctx, kc, apps); err != nil {
		return err
	}
	var rows []row

	// Creation through the API, o.clients at once.
	log.Printf("creating %d jobs with %d clients", len(apps), o.clients)
	var refused atomic.Int64
	var firstErr atomic.Value
	t0 := time.Now()
	_ = parallel(ctx, o.clients, len(apps), func(i int) error {
		a := apps[i]
		if _, err := api().CreateJob(ctx, "bench", client.NewJob{Name: a.name, Cluster: "bench", Namespace: a.ns, Deployment: a.name, Service: a.name}); err != nil {
			refused.Add(1)
			firstErr.CompareAndSwap(nil, err.Error())
		}
		return nil
	})
	took := time.Since(t0)
	note := ""
	if e, ok := firstErr.Load().(string); ok {
		note = "first refusal: " + e
	}
	rows = append(rows, row{fmt.Sprintf("create %d jobs, %d clients", len(apps), o.clients),
		fmt.Sprintf("%.1f jobs/s, %d refused", float64(len(apps))/took.Seconds(), refused.Load()), "", note})
	if err := waitHealthy(ctx, sy, len(apps)-int(refused.Load())); err != nil {
		return err
	}
	log.Printf("every job Healthy after %s", time.Since(t0).Round(time.Second))

	// Lists.
	ns0 := apps[0].ns
	nsJobs := 0
	for _, a := range apps {
		if a.ns == ns0 {
			nsJobs++
		}
	}
	for _, q := range []struct {
		what string
		q    client.JobQuery
	}{
		{"list, first page of 50", client.JobQuery{}},
		{"list, phase=Healthy, first page", client.JobQuery{Phase: client.PhaseHealthy}},
		{"list, phase=Degraded (none), first page", client.JobQuery{Phase: client.PhaseDegraded}},
		{"list, sort=name, first page", client.JobQuery{Sort: "name"}},
		{"list, phase=Healthy sort=-namespace", client.JobQuery{Phase: client.PhaseHealthy, Sort: "-namespace"}},
	} {
		d, err := sample(o.listSamples, func() error { _, err := sy.Jobs(ctx, "bench", q.q); return err })
		if err != nil {
			return err
		}
		rows = append(rows, row{q.what, d.String(), "", ""})
	}
	full := min(len(apps), 1000)
	d, err := sample(max(o.listSamples/10, 5), func() error {
		for off := 0; off < full; off += 500 {
			if _, err := sy.Jobs(ctx, "bench", client.JobQuery{Limit: min(500, full-off), Offset: off}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	kubectlAll, err := sample(5, func() error { return runQuiet(ctx, "kubectl", "--kubeconfig", o.kubeconfig, "get", "rollouts", "-A") })
	if err != nil {
		return err
	}
	rows = append(rows, row{fmt.Sprintf("list all %d jobs (pages of 500)", full), d.String(),
		fmt.Sprintf("kubectl get rollouts -A (%d): %s", len(apps), kubectlAll), "kubectl includes its process start"})

	nsList, err := sample(max(o.listSamples/4, 5), func() error {
		_, err := sy.Jobs(ctx, "bench", client.JobQuery{Namespace: ns0, Limit: 500})
		return err
	})
	if err != nil {
		return err
	}
	other := ""
	if o.plugin != "" {
		dash, err := startDashboard(ctx, o)
		if err != nil {
			return err
		}
		dd, err := sample(max(o.listSamples/10, 5), func() error { return httpGet(ctx, dash.url+"/api/v1/rollouts/"+ns0+"/info") })
		dash.stop()
		if err != nil {
			return err
		}
		other = fmt.Sprintf("Argo dashboard: %s (%.1f×)", dd, float64(dd.p50)/float64(max(nsList.p50, 1)))
	}
	kubectlNS, err := sample(5, func() error {
		return runQuiet(ctx, "kubectl", "--kubeconfig", o.kubeconfig, "get", "rollouts", "-n", ns0)
	})
	if err != nil {
		return err
	}
	rows = append(rows, row{fmt.Sprintf("list one namespace (%d jobs)", nsJobs), nsList.String(), other, ""},
		row{"", "", "kubectl get rollouts -n: " + kubectlNS.String(), "kubectl includes its process start"})

	// Switch-back: the active Service back on blue.
	log.Printf("switch-backs, %d per method", o.switchSamples)
	sw, err := switchBacks(ctx, o, kc, sy, apps[0])
	if err != nil {
		return err
	}
	rows = append(rows, sw...)

	// A change in the cluster reaching an open console stream.
	st, err := streamLatency(ctx, o, kc, api(), apps)
	if err != nil {
		return err
	}
	rows = append(rows, row{"cluster change → console stream", st.String(), "", "the stream coalesces for 50 ms"})

	rss, hwm := srv.memory()
	rows = append(rows, row{"server memory", fmt.Sprintf("RSS %s, peak %s", rss, hwm), "",
		fmt.Sprintf("%d jobs, %d pods", len(apps), len(apps)*o.replicas*2)})
	printTable(os.Stdout, o, rows, time.Since(start))
	return nil
}

// app is one Deployment + Service, and the job made of it.
type app struct{ ns, name string }

func layout(o options) []app {
	out := make([]app, o.jobs)
	for i := range out {
		out[i] = app{ns: fmt.Sprintf("bench-%03d", i/max(o.perNamespace, 1)), name: fmt.Sprintf("app-%05d", i)}
	}
	return out
}

func namespaces(apps []app) []string {
	var out []string
	for _, a := range apps {
		if len(out) == 0 || out[len(out)-1] != a.ns {
			out = append(out, a.ns)
		}
	}
	return out
}

func createNamespace(ctx context.Context, kc kubernetes.Interface, ns string) error {
	if _, err := kc.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create namespace %s: %w", ns, err)
	}
	// Pods are refused until the namespace's default ServiceAccount exists.
	for ctx.Err() == nil {
		if _, err := kc.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{}); err == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return ctx.Err()
}

func createApp(ctx context.Context, kc kubernetes.Interface, a app, replicas int32) error {
	lbl := map[string]string{"app": a.name}
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: a.name, Labels: lbl},
		Spec: appsv1.DeploymentSpec{Replicas: &replicas, Selector: &metav1.LabelSelector{MatchLabels: lbl},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: lbl},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "example/app:1"}}}}},
	}
	if _, err := kc.AppsV1().Deployments(a.ns).Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create deployment %s/%s: %w", a.ns, a.name, err)
	}
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: a.name},
		Spec: corev1.ServiceSpec{Selector: lbl, Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080)}}}}
	if _, err := kc.CoreV1().Services(a.ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create service %s/%s: %w", a.ns, a.name, err)
	}
	return nil
}

func waitApps(ctx context.Context, kc kubernetes.Interface, apps []app) error {
	for _, ns := range namespaces(apps) {
		for {
			deps, err := kc.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				return err
			}
			ready := 0
			for _, d := range deps.Items {
				if d.Spec.Replicas != nil && d.Status.AvailableReplicas == *d.Spec.Replicas {
					ready++
				}
			}
			if ready == len(deps.Items) {
				break
			}
			if err := sleep(ctx, 500*time.Millisecond); err != nil {
				return fmt.Errorf("deployments of %s not available: %w", ns, err)
			}
		}
	}
	return nil
}

func waitHealthy(ctx context.Context, sy *client.Client, want int) error {
	for {
		l, err := sy.Jobs(ctx, "bench", client.JobQuery{Phase: client.PhaseHealthy, Limit: 1})
		if err == nil && l.Total >= want {
			return nil
		}
		if err := sleep(ctx, time.Second); err != nil {
			return fmt.Errorf("waiting for %d Healthy jobs: %w", want, err)
		}
	}
}

func waitPhase(ctx context.Context, sy *client.Client, name, phase string) (*client.Job, error) {
	for {
		j, err := sy.Job(ctx, "bench", name)
		if err == nil && j.Phase == phase {
			return j, nil
		}
		if err := sleep(ctx, 50*time.Millisecond); err != nil {
			return nil, fmt.Errorf("waiting for job %s to be %s: %w", name, phase, err)
		}
	}
}

// switchBacks times, for each way of sending it, the switch back from
// green to blue inside the standby window: from the call to the active
// Service selecting blue's pods again, seen by a watch.
func switchBacks(ctx context.Context, o options, kc kubernetes.Interface, sy *client.Client, a app) ([]row, error) {
	blueImage := "example/app:1"
	patch := fmt.Sprintf(`{"spec":{"template":{"spec":{"containers":[{"name":"app","image":%q}]}}}}`, blueImage)
	methods := []struct {
		name string
		do   func() error
	}{
		{"Switchyard API (roll back)", func() error { _, err := sy.Rollback(ctx, "bench", a.name, 0); return err }},
		{"client-go patch of the Deployment", func() error {
			_, err := kc.AppsV1().Deployments(a.ns).Patch(ctx, a.name, types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{})
			return err
		}},
		{"kubectl set image", func() error {
			return runQuiet(ctx, "kubectl", "--kubeconfig", o.kubeconfig, "-n", a.ns, "set", "image", "deployment/"+a.name, "app="+blueImage)
		}},
	}
	if o.plugin != "" {
		methods = append(methods, struct {
			name string
			do   func() error
		}{"kubectl argo rollouts undo", func() error {
			return runQuiet(ctx, o.plugin, "--kubeconfig", o.kubeconfig, "-n", a.ns, "undo", a.name)
		}})
	}
	var rows []row
	var api time.Duration
	for _, m := range methods {
		var ds []time.Duration
		failed := 0
		for range o.switchSamples {
			// Ship green, promote it; blue stays on standby.
			if err := sleep(ctx, 1100*time.Millisecond); err != nil { // Argo's one-second clock
				return nil, err
			}
			if _, err := sy.Deploy(ctx, "bench", a.name, map[string]string{"app": "example/app:2"}); err != nil {
				return nil, err
			}
			if _, err := waitPhase(ctx, sy, a.name, client.PhaseAwaitingPromotion); err != nil {
				return nil, err
			}
			if _, err := sy.Promote(ctx, "bench", a.name, false); err != nil {
				return nil, err
			}
			j, err := waitPhase(ctx, sy, a.name, client.PhaseHealthy)
			if err != nil {
				return nil, err
			}
			blue := ""
			for _, v := range j.Versions {
				if !v.Active && slices.Contains(v.Images, blueImage) {
					blue = v.PodHash
				}
			}
			if blue == "" {
				return nil, fmt.Errorf("no blue version on standby after the promotion: %+v", j.Versions)
			}
			d, err := timeSelector(ctx, kc, a, blue, m.do)
			if err != nil {
				// Counted, not fatal: past blue's standby window a roll back
				// is a new release waiting for its promotion.
				log.Printf("switch back by %s: %v", m.name, err)
				failed++
				if j, err := sy.Job(ctx, "bench", a.name); err == nil && j.Phase == client.PhaseAwaitingPromotion {
					if _, err := sy.Promote(ctx, "bench", a.name, false); err != nil {
						return nil, err
					}
				}
			} else {
				ds = append(ds, d)
			}
			if _, err := waitPhase(ctx, sy, a.name, client.PhaseHealthy); err != nil {
				return nil, err
			}
		}
		s := summarize(ds)
		other := ""
		if api == 0 {
			api = s.p50
		} else {
			other = fmt.Sprintf("Switchyard ÷ this: %.2f", float64(api)/float64(max(s.p50, 1)))
		}
		note := ""
		if failed > 0 {
			note = fmt.Sprintf("%d of %d did not switch within a minute", failed, o.switchSamples)
		}
		rows = append(rows, row{"switch back: " + m.name, s.String(), other, note})
	}
	rows[len(rows)-1].note = strings.TrimPrefix(rows[len(rows)-1].note+"; kubectl rows include the process start", "; ")
	return rows, nil
}

// timeSelector runs do and returns the time until the app's Service selects
// the pods of hash.
func timeSelector(ctx context.Context, kc kubernetes.Interface, a app, hash string, do func() error) (time.Duration, error) {
	svc, err := kc.CoreV1().Services(a.ns).Get(ctx, a.name, metav1.GetOptions{})
	if err != nil {
		return 0, err
	}
	w, err := kc.CoreV1().Services(a.ns).Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=" + a.name, ResourceVersion: svc.ResourceVersion})
	if err != nil {
		return 0, err
	}
	defer w.Stop()
	start := time.Now()
	if err := do(); err != nil {
		return 0, err
	}
	timeout := time.After(time.Minute)
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	for {
		select {
		case ev, ok := <-w.ResultChan():
			if !ok {
				return 0, fmt.Errorf("service watch ended")
			}
			if s, isSvc := ev.Object.(*corev1.Service); isSvc && ev.Type == watch.Modified && s.Spec.Selector["rollouts-pod-template-hash"] == hash {
				return time.Since(start), nil
			}
		case <-timeout:
			return 0, fmt.Errorf("the Service did not select %s within a minute", hash)
		}
	}
}

// streamLatency times annotating a Deployment in the cluster until the
// workspace's change stream tells of its namespace.
func streamLatency(ctx context.Context, o options, kc kubernetes.Interface, sy *client.Client, apps []app) (summary, error) {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	got := make(chan string, 1024)
	ready := make(chan struct{})
	go func() {
		_ = sy.WatchChanges(sctx, "bench", "", func(c client.Change) {
			if c.Ready {
				close(ready)
				return
			}
			select {
			case got <- c.Namespace:
			default:
			}
		})
	}()
	select {
	case <-ready:
	case <-time.After(30 * time.Second):
		return summary{}, fmt.Errorf("the change stream did not open")
	}
	var ds []time.Duration
	for i := range o.streamSamples {
		a := apps[(i*7919)%len(apps)]
		if err := sleep(ctx, 300*time.Millisecond); err != nil { // let the last burst settle
			return summary{}, err
		}
		for len(got) > 0 {
			<-got
		}
		start := time.Now()
		p := fmt.Sprintf(`{"metadata":{"annotations":{"bench.switchyard.dev/touch":"%d"}}}`, i)
		if _, err := kc.AppsV1().Deployments(a.ns).Patch(ctx, a.name, types.MergePatchType, []byte(p), metav1.PatchOptions{}); err != nil {
			return summary{}, err
		}
		for ns := ""; ns != a.ns; {
			select {
			case ns = <-got:
			case <-time.After(30 * time.Second):
				return summary{}, fmt.Errorf("no change on the stream for %s", a.ns)
			}
		}
		ds = append(ds, time.Since(start))
	}
	return summarize(ds), nil
}

// server is the switchyard serve process under test.
type server struct {
	cmd      *exec.Cmd
	url      string
	password string
}

func startServer(ctx context.Context, o options) (*server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	s := &server{url: "http://" + addr, password: "bench-password-" + strconv.Itoa(os.Getpid())}
	logf, err := os.Create(filepath.Join(o.work, "switchyard.log"))
	if err != nil {
		return nil, err
	}
	s.cmd = exec.CommandContext(ctx, o.switchyard, "serve", "--addr", addr, "--data-dir", filepath.Join(o.work, "data"))
	s.cmd.Env = append(os.Environ(), "SWITCHYARD_ADMIN_PASSWORD="+s.password)
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", o.switchyard, err)
	}
	if err := waitHTTP(ctx, s.url+"/readyz"); err != nil {
		s.stop()
		return nil, fmt.Errorf("switchyard did not start (see %s): %w", logf.Name(), err)
	}
	return s, nil
}

func (s *server) stop() {
	if s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = s.cmd.Process.Kill()
		}
	}
}

// memory reads the server's resident set now and at its peak.
func (s *server) memory() (rss, peak string) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return "?", "?"
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) >= 2 && (f[0] == "VmRSS:" || f[0] == "VmHWM:") {
			kb, _ := strconv.Atoi(f[1])
			v := fmt.Sprintf("%d MB", kb/1024)
			if f[0] == "VmRSS:" {
				rss = v
			} else {
				peak = v
			}
		}
	}
	return rss, peak
}

// dashboard is `kubectl-argo-rollouts dashboard`.
type dashboard struct {
	cmd *exec.Cmd
	url string
}

func startDashboard(ctx context.Context, o options) (*dashboard, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	_, port, _ := net.SplitHostPort(addr)
	d := &dashboard{url: "http://" + addr + "/rollouts"}
	d.cmd = exec.CommandContext(ctx, o.plugin, "--kubeconfig", o.kubeconfig, "dashboard", "--address", "127.0.0.1", "--port", port)
	logf, err := os.Create(filepath.Join(o.work, "dashboard.log"))
	if err != nil {
		return nil, err
	}
	d.cmd.Stdout, d.cmd.Stderr = logf, logf
	if err := d.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the Argo dashboard: %w", err)
	}
	if err := waitHTTP(ctx, d.url+"/api/v1/version"); err != nil {
		d.stop()
		return nil, fmt.Errorf("the Argo dashboard did not start (see %s): %w", logf.Name(), err)
	}
	return d, nil
}

func (d *dashboard) stop() {
	_ = d.cmd.Process.Kill()
	_ = d.cmd.Wait()
}

func waitHTTP(ctx context.Context, url string) error {
	for range 600 {
		if httpGet(ctx, url) == nil {
			return nil
		}
		if err := sleep(ctx, 100*time.Millisecond); err != nil {
			return err
		}
	}
	return fmt.Errorf("no answer from %s in a minute", url)
}

var httpc = &http.Client{Timeout: time.Minute}

func httpGet(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := httpc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}

func runQuiet(ctx context.Context, name string, args ...string) error {
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = io.Discard, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return nil
}

func flatKubeconfig(path string) ([]byte, error) {
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		return nil, err
	}
	if err := clientcmdapi.FlattenConfig(cfg); err != nil {
		return nil, err
	}
	return clientcmd.Write(*cfg)
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// parallel runs fn(0..n-1) on k goroutines; the first error stops it.
func parallel(ctx context.Context, k, n int, fn func(int) error) error {
	next := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for range k {
		wg.Go(func() {
			for i := range next {
				if err := fn(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		})
	}
	for i := 0; i < n && ctx.Err() == nil; i++ {
		mu.Lock()
		failed := first != nil
		mu.Unlock()
		if failed {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}

// summary is a latency distribution.
type summary struct {
	n             int
	p50, p99, max time.Duration
}

func (s summary) String() string {
	if s.n < 20 {
		return fmt.Sprintf("p50 %s, max %s (n=%d)", ms(s.p50), ms(s.max), s.n)
	}
	return fmt.Sprintf("p50 %s, p99 %s (n=%d)", ms(s.p50), ms(s.p99), s.n)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func summarize(ds []time.Duration) summary {
	slices.Sort(ds)
	if len(ds) == 0 {
		return summary{}
	}
	at := func(q float64) time.Duration { return ds[min(len(ds)-1, int(q*float64(len(ds))))] }
	return summary{n: len(ds), p50: at(0.5), p99: at(0.99), max: ds[len(ds)-1]}
}

func sample(n int, fn func() error) (summary, error) {
	ds := make([]time.Duration, 0, n)
	for range n {
		t := time.Now()
		if err := fn(); err != nil {
			return summary{}, err
		}
		ds = append(ds, time.Since(t))
	}
	return summarize(ds), nil
}

func printTable(w io.Writer, o options, rows []row, took time.Duration) {
	host, _ := os.Hostname()
	fmt.Fprintf(w, "\nSwitchyard bench: %d jobs (%d per namespace, %d pod(s) each), %d creating clients, on %s, %d CPUs; run took %s\n\n",
		o.jobs, o.perNamespace, o.replicas, o.clients, host, numCPU(), took.Round(time.Second))
	wa, wb, wc := len("figure"), len("Switchyard"), len("side by side")
	for _, r := range rows {
		wa, wb, wc = max(wa, len([]rune(r.what))), max(wb, len([]rune(r.switchyard))), max(wc, len([]rune(r.other)))
	}
	line := func(a, b, c, d string) {
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", pad(a, wa), pad(b, wb), pad(c, wc), d)
	}
	line("figure", "Switchyard", "side by side", "note")
	line(strings.Repeat("-", wa), strings.Repeat("-", wb), strings.Repeat("-", wc), "")
	for _, r := range rows {
		line(r.what, r.switchyard, r.other, r.note)
	}
}

func pad(s string, n int) string { return s + strings.Repeat(" ", max(0, n-len([]rune(s)))) }

func numCPU() int {
	b, _ := os.ReadFile("/proc/cpuinfo")
	return max(1, strings.Count(string(b), "processor\t:"))
}
