package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	appslisters "k8s.io/client-go/listers/apps/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"

	"github.com/switchyard/switchyard/internal/store"
)

// Listers read the Conn's informer caches. Objects they return are shared
// with the cache: never modify them (DeepCopy first).
//
// To keep memory in proportion to what Switchyard manages rather than to the
// cluster's size, Rollouts are cached only when Switchyard made them (they
// carry ManagedByLabel), ReplicaSets and Pods only when Argo Rollouts made
// them (they carry RolloutHashLabel), and Events only when they are about a
// Rollout. Namespaces, Deployments and Services are cached whole: the pickers
// list them. Every object enters its cache without what nothing reads
// (trimObject), and pods as the little a job's view shows of them (trimPod).
type Listers struct {
	Namespaces  corelisters.NamespaceLister
	Deployments appslisters.DeploymentLister
	Services    corelisters.ServiceLister
	ReplicaSets appslisters.ReplicaSetLister // Rollouts' only
	Pods        corelisters.PodLister        // Rollouts' only
	Events      corelisters.EventLister      // about Rollouts only
}

// Conn is a live connection to one registered cluster: clients for writes
// and fresh reads, and informer caches for everything that lists. Get one
// from Manager.Conn (caches synced) or Manager.Client (requests only); the
// Manager closes it when the cluster is removed.
type Conn struct {
	ClusterID   int64
	ClusterName string
	// sealed is the stored kubeconfig the Conn was built from: when another
	// replica replaces it (rotate-credentials), the next probe reconnects.
	sealed []byte
	// Server is the API server's URL. Only platform administrators see it.
	Server string
	// Kube and Dynamic talk to the API server directly. The caches have
	// clients of their own, so that filling them never holds up (nor is held
	// up by) an operation in the client-side rate limit.
	Kube    kubernetes.Interface
	Dynamic dynamic.Interface
	// Informers are the started factories behind Listers (whole kinds,
	// Rollouts' ReplicaSets and Pods, Rollouts' Events).
	Informers []informers.SharedInformerFactory
	Listers   Listers

	cacheDynamic dynamic.Interface // the Rollout cache's client
	rsIndex      cache.Indexer     // ReplicaSets by owner UID
	podIndex     cache.Indexer     // pods by namespace and RolloutHashLabel
	logger       *slog.Logger
	changes      *Changes // where informer events are published
	stop         chan struct{}
	synced       chan struct{} // closed once every cache has synced
	started      time.Time

	mu             sync.Mutex
	argoInstanceID string        // the --instance-id of the cluster's Argo controller; "" for none
	rollouts       *rolloutCache // nil while Argo Rollouts is not installed
	lastErr        string        // the last list/watch error, for unreachable reports
	unreachable    string        // why the last probe failed; empty when it succeeded
	closed         bool
}

// rolloutCache is the dynamic informer of Argo Rollouts, started and stopped
// separately because Argo may be installed or removed while the Conn lives.
type rolloutCache struct {
	factory  dynamicinformer.DynamicSharedInformerFactory
	informer cache.SharedIndexInformer
	lister   cache.GenericLister
	// runs caches the AnalysisRuns (a job's check runs) beside the Rollouts.
	runs cache.SharedIndexInformer
	stop chan struct{}
}

// newConn builds the clients and informers of a cluster; start runs them.
func newConn(c store.Cluster, rc *rest.Config, logger *slog.Logger, changes *Changes) (*Conn, error) {
	kube, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client for cluster %s: %w", c.Name, err)
	}
	dyn, err := dynamic.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("dynamic client for cluster %s: %w", c.Name, err)
	}
	cacheKube, err := kubernetes.NewForConfig(rc) // its own rate limiter
	if err != nil {
		return nil, fmt.Errorf("kubernetes client for cluster %s: %w", c.Name, err)
	}
	cacheDyn, err := dynamic.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("dynamic client for cluster %s: %w", c.Name, err)
	}
	f := informers.NewSharedInformerFactoryWithOptions(cacheKube, 0, informers.WithTransform(trimObject))
	fRollout := informers.NewSharedInformerFactoryWithOptions(cacheKube, 0, informers.WithTransform(trimObject),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = RolloutHashLabel }))
	fEvents := informers.NewSharedInformerFactoryWithOptions(cacheKube, 0, informers.WithTransform(trimObject),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.FieldSelector = "involvedObject.kind=Rollout" }))
	conn := &Conn{
		ClusterID: c.ID, ClusterName: c.Name, Server: rc.Host, Kube: kube, Dynamic: dyn, cacheDynamic: cacheDyn, Informers: []informers.SharedInformerFactory{f, fRollout, fEvents},
		logger: logger.With("cluster", c.Name), changes: changes, stop: make(chan struct{}), synced: make(chan struct{}),
		argoInstanceID: c.ArgoInstanceID,
	}
	conn.Listers = Listers{
		Namespaces:  f.Core().V1().Namespaces().Lister(),
		Deployments: f.Apps().V1().Deployments().Lister(),
		Services:    f.Core().V1().Services().Lister(),
		ReplicaSets: fRollout.Apps().V1().ReplicaSets().Lister(),
		Pods:        fRollout.Core().V1().Pods().Lister(),
		Events:      fEvents.Core().V1().Events().Lister(),
	}
	// A job's view reads its Rollout's ReplicaSets and their pods: by index,
	// not by a scan of the namespace.
	if err := fRollout.Apps().V1().ReplicaSets().Informer().AddIndexers(cache.Indexers{byOwner: ownerUIDs}); err != nil {
		return nil, fmt.Errorf("informers of cluster %s: %w", c.Name, err)
	}
	if err := fRollout.Core().V1().Pods().Informer().AddIndexers(cache.Indexers{byHash: podHash}); err != nil {
		return nil, fmt.Errorf("informers of cluster %s: %w", c.Name, err)
	}
	conn.rsIndex = fRollout.Apps().V1().ReplicaSets().Informer().GetIndexer()
	conn.podIndex = fRollout.Core().V1().Pods().Informer().GetIndexer()
	for _, inf := range []cache.SharedIndexInformer{
		f.Core().V1().Namespaces().Informer(), f.Apps().V1().Deployments().Informer(),
		f.Core().V1().Services().Informer(), fRollout.Apps().V1().ReplicaSets().Informer(),
		fRollout.Core().V1().Pods().Informer(), fEvents.Core().V1().Events().Informer(),
	} {
		if err := inf.SetWatchErrorHandler(conn.watchError); err != nil {
			return nil, fmt.Errorf("informers of cluster %s: %w", c.Name, err)
		}
	}
	// What a job's view is made of: publish its changes for live updates.
	for _, inf := range []cache.SharedIndexInformer{
		f.Apps().V1().Deployments().Informer(), fRollout.Apps().V1().ReplicaSets().Informer(),
		fRollout.Core().V1().Pods().Informer(), fEvents.Core().V1().Events().Informer(),
	} {
		if _, err := inf.AddEventHandler(publishing(changes, c.ID)); err != nil {
			return nil, fmt.Errorf("informers of cluster %s: %w", c.Name, err)
		}
	}
	return conn, nil
}

// Names of the caches' indexes.
const (
	byOwner = "owner"
	byHash  = "hash"
)

func ownerUIDs(obj any) ([]string, error) {
	m, err := meta.Accessor(obj)
	if err != nil {
		return nil, nil
	}
	var out []string
	for _, o := range m.GetOwnerReferences() {
		out = append(out, string(o.UID))
	}
	return out, nil
}

func podHash(obj any) ([]string, error) {
	m, err := meta.Accessor(obj)
	if err != nil || m.GetLabels()[RolloutHashLabel] == "" {
		return nil, nil
	}
	return []string{m.GetNamespace() + "/" + m.GetLabels()[RolloutHashLabel]}, nil
}

// ReplicaSetsOwnedBy returns the cached ReplicaSets an object (a Rollout)
// owns. They are shared with the cache: do not modify them.
func (c *Conn) ReplicaSetsOwnedBy(uid types.UID) []*appsv1.ReplicaSet {
	objs, _ := c.rsIndex.ByIndex(byOwner, string(uid))
	out := make([]*appsv1.ReplicaSet, 0, len(objs))
	for _, o := range objs {
		if rs, ok := o.(*appsv1.ReplicaSet); ok {
			out = append(out, rs)
		}
	}
	return out
}

// PodsWithHash returns the cached pods of a namespace that carry one of the
// pod-template hashes. They are shared with the cache: do not modify them.
func (c *Conn) PodsWithHash(ns string, hashes []string) []*corev1.Pod {
	var out []*corev1.Pod
	for _, h := range hashes {
		objs, _ := c.podIndex.ByIndex(byHash, ns+"/"+h)
		for _, o := range objs {
			if p, ok := o.(*corev1.Pod); ok {
				out = append(out, p)
			}
		}
	}
	return out
}

// lastApplied is the annotation kubectl apply keeps a whole copy of the
// object in.
const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// trimObject is the transform of every cache: it drops, before an object is
// stored, what nothing reads and what is often most of its size, its
// managedFields and kubectl's last-applied copy of itself; pods are trimmed
// further (trimPod).
func trimObject(obj any) (any, error) {
	if m, err := meta.Accessor(obj); err == nil {
		m.SetManagedFields(nil)
		if a := m.GetAnnotations(); a[lastApplied] != "" {
			a = maps.Clone(a)
			delete(a, lastApplied)
			m.SetAnnotations(a)
		}
	}
	if p, ok := obj.(*corev1.Pod); ok {
		return trimPod(p), nil
	}
	return obj, nil
}

// trimPod keeps of a pod what a job's view reads (release.AttachPods): its
// identity, labels and owners, the node it runs on, its phase and
// conditions, and of each container its restarts and why it waits. The rest
// of its spec and status (containers, volumes, images…) is most of a pod.
func trimPod(p *corev1.Pod) *corev1.Pod {
	out := &corev1.Pod{
		TypeMeta: p.TypeMeta,
		ObjectMeta: metav1.ObjectMeta{
			Name: p.Name, Namespace: p.Namespace, UID: p.UID, ResourceVersion: p.ResourceVersion, Generation: p.Generation,
			CreationTimestamp: p.CreationTimestamp, DeletionTimestamp: p.DeletionTimestamp, Labels: p.Labels, OwnerReferences: p.OwnerReferences,
		},
		Spec: corev1.PodSpec{NodeName: p.Spec.NodeName},
		Status: corev1.PodStatus{Phase: p.Status.Phase, Reason: p.Status.Reason, Message: p.Status.Message,
			Conditions: p.Status.Conditions},
	}
	for _, cs := range p.Status.ContainerStatuses {
		t := corev1.ContainerStatus{Name: cs.Name, RestartCount: cs.RestartCount, Ready: cs.Ready}
		if w := cs.State.Waiting; w != nil {
			t.State.Waiting = &corev1.ContainerStateWaiting{Reason: w.Reason}
		}
		out.Status.ContainerStatuses = append(out.Status.ContainerStatuses, t)
	}
	return out
}

// watchError records list/watch failures (instead of client-go's default
// logging) so a failed sync can say why.
func (c *Conn) watchError(_ *cache.Reflector, err error) {
	c.mu.Lock()
	c.lastErr = err.Error()
	c.mu.Unlock()
	c.logger.Debug("cluster watch failed", "err", err)
}

// start runs the informers (and the Rollout informer when argo is true) and
// closes c.synced once their caches are filled.
func (c *Conn) start(argo bool) {
	c.started = time.Now()
	for _, f := range c.Informers {
		f.Start(c.stop)
	}
	c.setArgo(argo)
	c.mu.Lock()
	ro := c.rollouts
	c.mu.Unlock()
	go func() {
		var ok bool
		for _, f := range c.Informers {
			for _, synced := range f.WaitForCacheSync(c.stop) {
				ok = synced
				if !ok {
					return
				}
			}
		}
		if ro != nil && !cache.WaitForCacheSync(c.stop, ro.informer.HasSynced) {
			return
		}
		c.logger.Debug("cluster caches synced", "took", time.Since(c.started))
		close(c.synced)
	}()
}

// waitSynced waits until the caches are filled, ctx ends, or timeout has
// passed since start. A timeout or a closed Conn is an *UnreachableError.
func (c *Conn) waitSynced(ctx context.Context, timeout time.Duration) error {
	// Synced caches win over an expired timer: select picks at random among
	// ready cases, and once timeout has passed since start the timer is ready
	// at once on every call.
	select {
	case <-c.synced:
		return nil
	default:
	}
	timer := time.NewTimer(time.Until(c.started.Add(timeout)))
	defer timer.Stop()
	select {
	case <-c.synced:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait for caches of cluster %s: %w", c.ClusterName, ctx.Err())
	case <-c.stop:
		return &UnreachableError{Cluster: c.ClusterName, Server: c.Server, Reason: "connection closed"}
	case <-timer.C:
		c.mu.Lock()
		reason := c.lastErr
		c.mu.Unlock()
		if reason == "" {
			reason = "caches did not sync"
		}
		return &UnreachableError{Cluster: c.ClusterName, Server: c.Server, Reason: fmt.Sprintf("%s within %s", reason, timeout)}
	}
}

// setArgo starts the Rollout informer when Argo Rollouts is installed and
// stops it when it is no longer.
func (c *Conn) setArgo(installed bool) {
	c.mu.Lock()
	var old *rolloutCache
	switch {
	case c.closed:
	case installed && c.rollouts == nil:
		c.rollouts = c.newRolloutCache()
	case !installed && c.rollouts != nil:
		old, c.rollouts = c.rollouts, nil
	}
	c.mu.Unlock()
	// Shut down outside the lock: the informer's error handler takes it.
	if old != nil {
		close(old.stop)
		old.factory.Shutdown()
	}
}

// newRolloutCache starts the dynamic informer of Rollouts.
func (c *Conn) newRolloutCache() *rolloutCache {
	f := dynamicinformer.NewFilteredDynamicSharedInformerFactory(c.cacheDynamic, 0, "", func(o *metav1.ListOptions) {
		o.LabelSelector = ManagedByLabel + "=" + ManagedByValue
	})
	gi := f.ForResource(RolloutGVR)
	ar := f.ForResource(AnalysisRunGVR)
	ro := &rolloutCache{factory: f, informer: gi.Informer(), lister: gi.Lister(), runs: ar.Informer(), stop: make(chan struct{})}
	// None fails before the informers start.
	for _, inf := range []cache.SharedIndexInformer{ro.informer, ro.runs} {
		_ = inf.SetTransform(trimObject)
		_ = inf.SetWatchErrorHandler(c.watchError)
		_, _ = inf.AddEventHandler(publishing(c.changes, c.ClusterID))
	}
	_ = ro.runs.AddIndexers(cache.Indexers{byOwner: ownerUIDs})
	f.Start(ro.stop)
	return ro
}

// ArgoInstanceID is the --instance-id the cluster's Argo Rollouts controller
// runs with ("" for none): the label value a job's Rollout must carry.
func (c *Conn) ArgoInstanceID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.argoInstanceID
}

func (c *Conn) setArgoInstanceID(id string) {
	c.mu.Lock()
	c.argoInstanceID = id
	c.mu.Unlock()
}

// setUnreachable records the outcome of the last probe ("" = reachable).
func (c *Conn) setUnreachable(reason string) {
	c.mu.Lock()
	c.unreachable = reason
	c.mu.Unlock()
}

func (c *Conn) unreachableReason() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.unreachable
}

// close stops every informer of the Conn and waits for them to exit.
func (c *Conn) close() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	ro := c.rollouts
	c.rollouts = nil
	c.mu.Unlock()
	close(c.stop)
	for _, f := range c.Informers {
		f.Shutdown()
	}
	if ro != nil {
		close(ro.stop)
		ro.factory.Shutdown()
	}
}

// Namespaces returns the names of the cluster's namespaces, sorted.
func (c *Conn) Namespaces() []string {
	nss, _ := c.Listers.Namespaces.List(labels.Everything())
	names := make([]string, 0, len(nss))
	for _, ns := range nss {
		names = append(names, ns.Name)
	}
	slices.Sort(names)
	return names
}

// Deployments returns the Deployments of a namespace, sorted by name. They
// are shared with the cache: do not modify them.
func (c *Conn) Deployments(ns string) []*appsv1.Deployment {
	ds, _ := c.Listers.Deployments.Deployments(ns).List(labels.Everything())
	slices.SortFunc(ds, func(a, b *appsv1.Deployment) int { return strings.Compare(a.Name, b.Name) })
	return ds
}

// Deployment returns one Deployment from the cache, or a
// *store.NotFoundError. It is shared with the cache: do not modify it.
func (c *Conn) Deployment(ns, name string) (*appsv1.Deployment, error) {
	d, err := c.Listers.Deployments.Deployments(ns).Get(name)
	if apierrors.IsNotFound(err) {
		return nil, &store.NotFoundError{Resource: "deployment", Key: ns + "/" + name}
	}
	if err != nil {
		return nil, fmt.Errorf("get deployment %s/%s: %w", ns, name, err)
	}
	return d, nil
}

// Services returns the Services of a namespace, sorted by name, each marked
// with whether it selects the pods of the named Deployment. An empty
// deployment marks none; a missing one is a *store.NotFoundError.
func (c *Conn) Services(ns, deployment string) ([]ServiceInfo, error) {
	var dep *appsv1.Deployment
	if deployment != "" {
		d, err := c.Deployment(ns, deployment)
		if err != nil {
			return nil, err
		}
		dep = d
	}
	svcs, _ := c.Listers.Services.Services(ns).List(labels.Everything())
	infos := make([]ServiceInfo, 0, len(svcs))
	for _, s := range svcs {
		infos = append(infos, serviceInfo(s, dep))
	}
	slices.SortFunc(infos, func(a, b ServiceInfo) int { return strings.Compare(a.Name, b.Name) })
	return infos, nil
}

// Rollouts returns the Argo Rollouts of a namespace, sorted by name, waiting
// (bounded by ctx) for their cache if Argo was detected only recently.
// Without Argo the error matches ErrArgoNotInstalled.
func (c *Conn) Rollouts(ctx context.Context, ns string) ([]*unstructured.Unstructured, error) {
	ro, err := c.rolloutCache(ctx)
	if err != nil {
		return nil, err
	}
	objs, err := ro.lister.ByNamespace(ns).List(labels.Everything())
	if err != nil {
		return nil, fmt.Errorf("list rollouts in %s: %w", ns, err)
	}
	out := make([]*unstructured.Unstructured, 0, len(objs))
	for _, o := range objs {
		if u, ok := o.(*unstructured.Unstructured); ok {
			out = append(out, u)
		}
	}
	slices.SortFunc(out, func(a, b *unstructured.Unstructured) int { return strings.Compare(a.GetName(), b.GetName()) })
	return out, nil
}

// Rollout returns one Rollout from the cache, or a *store.NotFoundError.
func (c *Conn) Rollout(ctx context.Context, ns, name string) (*unstructured.Unstructured, error) {
	ro, err := c.rolloutCache(ctx)
	if err != nil {
		return nil, err
	}
	o, err := ro.lister.ByNamespace(ns).Get(name)
	if apierrors.IsNotFound(err) {
		return nil, &store.NotFoundError{Resource: "rollout", Key: ns + "/" + name}
	}
	if err != nil {
		return nil, fmt.Errorf("get rollout %s/%s: %w", ns, name, err)
	}
	u, ok := o.(*unstructured.Unstructured)
	if !ok {
		return nil, fmt.Errorf("get rollout %s/%s: unexpected %T in cache", ns, name, o)
	}
	return u, nil
}

// RolloutsReadable returns nil when Rollout reads a synced cache, else the
// error Rollout would return: Argo Rollouts not installed, or ctx ended
// before the cache filled.
func (c *Conn) RolloutsReadable(ctx context.Context) error {
	_, err := c.rolloutCache(ctx)
	return err
}

// AnalysisRunsOwnedBy returns the cached Argo AnalysisRuns an object (a
// job's Rollout) owns, waiting (bounded by ctx) for the cache to fill. They
// are shared with the cache: do not modify them.
func (c *Conn) AnalysisRunsOwnedBy(ctx context.Context, uid types.UID) ([]*unstructured.Unstructured, error) {
	ro, err := c.rolloutCache(ctx)
	if err != nil {
		return nil, err
	}
	if !cache.WaitForCacheSync(ctx.Done(), ro.runs.HasSynced) {
		return nil, errors.Join(fmt.Errorf("wait for analysis runs cache of cluster %s", c.ClusterName), ctx.Err())
	}
	objs, err := ro.runs.GetIndexer().ByIndex(byOwner, string(uid))
	if err != nil {
		return nil, fmt.Errorf("analysis runs owned by %s: %w", uid, err)
	}
	out := make([]*unstructured.Unstructured, 0, len(objs))
	for _, o := range objs {
		if u, ok := o.(*unstructured.Unstructured); ok {
			out = append(out, u)
		}
	}
	return out, nil
}

// rolloutCache returns the synced Rollout cache.
func (c *Conn) rolloutCache(ctx context.Context) (*rolloutCache, error) {
	c.mu.Lock()
	ro := c.rollouts
	c.mu.Unlock()
	if ro == nil {
		return nil, fmt.Errorf("cluster %s: %w", c.ClusterName, ErrArgoNotInstalled)
	}
	if !cache.WaitForCacheSync(ctx.Done(), ro.informer.HasSynced) {
		return nil, errors.Join(fmt.Errorf("wait for rollouts cache of cluster %s", c.ClusterName), ctx.Err())
	}
	return ro, nil
}
