package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/switchyard/switchyard/internal/store"
)

// DefaultProbeTimeout bounds one whole probe of a cluster.
const DefaultProbeTimeout = 5 * time.Second

// maxErrorText bounds the error text recorded in a cluster's status.
const maxErrorText = 500

// Discovery paths and names the probe looks for.
const (
	argoGroupVersion    = RolloutAPIVersion
	istioGroup          = "networking.istio.io"
	argoControllerLabel = "app.kubernetes.io/name=argo-rollouts"
	argoControllerName  = "argo-rollouts"
)

// probeResult is what one probe of a cluster found.
type probeResult struct {
	Reachable         bool
	Err               error // why the cluster is unreachable, or what could not be detected
	KubernetesVersion string
	ArgoInstalled     bool
	ArgoVersion       string
	IstioInstalled    bool
}

// status maps a probe result to the status stored for the cluster. An
// unreachable cluster claims no capability.
func (r probeResult) status(at time.Time) store.ClusterStatus {
	at = at.UTC()
	st := store.ClusterStatus{Reachable: r.Reachable, ProbedAt: &at}
	if r.Err != nil {
		st.Error = truncate(r.Err.Error(), maxErrorText)
	}
	if !r.Reachable {
		return st
	}
	st.KubernetesVersion = r.KubernetesVersion
	st.ArgoInstalled, st.ArgoVersion = r.ArgoInstalled, r.ArgoVersion
	st.IstioInstalled = r.IstioInstalled
	return st
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// probe asks the cluster what it runs, within timeout. It never fails: what
// went wrong is in the result.
func probe(ctx context.Context, rc *rest.Config, timeout time.Duration) probeResult {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	kube, err := kubernetes.NewForConfig(rest.CopyConfig(rc))
	if err != nil {
		return probeResult{Err: fmt.Errorf("client: %w", err)}
	}
	var v version.Info
	if err := getJSON(ctx, kube, "/version", &v); err != nil {
		return probeResult{Err: err}
	}
	r := probeResult{Reachable: true, KubernetesVersion: v.GitVersion}
	var argoErr, istioErr error
	r.ArgoInstalled, argoErr = servesResources(ctx, kube, argoGroupVersion, "rollouts")
	r.IstioInstalled, istioErr = istioInstalled(ctx, kube)
	if r.ArgoInstalled {
		r.ArgoVersion = argoControllerVersion(ctx, kube)
	}
	r.Err = errors.Join(wrapIf("detect Argo Rollouts", argoErr), wrapIf("detect Istio", istioErr))
	return r
}

func wrapIf(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}

// getJSON GETs a discovery path and decodes it; a missing path matches
// apierrors.IsNotFound.
func getJSON(ctx context.Context, kube kubernetes.Interface, path string, into any) error {
	raw, err := kube.Discovery().RESTClient().Get().AbsPath(path).Do(ctx).Raw()
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, into); err != nil {
		return fmt.Errorf("decode %s: %w", path, err)
	}
	return nil
}

// servesResources reports whether groupVersion serves every named resource.
func servesResources(ctx context.Context, kube kubernetes.Interface, groupVersion string, names ...string) (bool, error) {
	var list metav1.APIResourceList
	err := getJSON(ctx, kube, "/apis/"+groupVersion, &list)
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	served := map[string]bool{}
	for _, res := range list.APIResources {
		served[res.Name] = true
	}
	for _, n := range names {
		if !served[n] {
			return false, nil
		}
	}
	return true, nil
}

// istioInstalled reports whether the preferred version of Istio's networking
// group serves both virtualservices and destinationrules.
func istioInstalled(ctx context.Context, kube kubernetes.Interface) (bool, error) {
	var g metav1.APIGroup
	err := getJSON(ctx, kube, "/apis/"+istioGroup, &g)
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if g.PreferredVersion.GroupVersion == "" {
		return false, nil
	}
	return servesResources(ctx, kube, g.PreferredVersion.GroupVersion, "virtualservices", "destinationrules")
}

// argoControllerVersion finds the Argo Rollouts controller's Deployment (by
// its standard label, else by its standard name) and returns its image tag.
// It is empty when the controller does not run as a Deployment or may not be
// listed: the version is a nicety, not a capability.
func argoControllerVersion(ctx context.Context, kube kubernetes.Interface) string {
	deps := kube.AppsV1().Deployments(metav1.NamespaceAll)
	for _, opts := range []metav1.ListOptions{
		{LabelSelector: argoControllerLabel, Limit: 10},
		{FieldSelector: "metadata.name=" + argoControllerName, Limit: 10},
	} {
		list, err := deps.List(ctx, opts)
		if err != nil {
			return ""
		}
		if v := controllerVersion(list.Items); v != "" {
			return v
		}
	}
	return ""
}

// controllerVersion returns the image tag of the Argo Rollouts container of
// the first Deployment that has one.
func controllerVersion(deps []appsv1.Deployment) string {
	for _, d := range deps {
		cs := d.Spec.Template.Spec.Containers
		for _, c := range cs {
			if c.Name == argoControllerName || strings.Contains(c.Image, argoControllerName) {
				return imageTag(c.Image)
			}
		}
		if len(cs) > 0 {
			return imageTag(cs[0].Image)
		}
	}
	return ""
}

// imageTag returns the tag of an image reference ("" when it has none).
func imageTag(image string) string {
	image, _, _ = strings.Cut(image, "@")
	slash := strings.LastIndex(image, "/")
	colon := strings.LastIndex(image, ":")
	if colon <= slash {
		return ""
	}
	return image[colon+1:]
}
