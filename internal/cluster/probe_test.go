package cluster

import (
	"errors"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/switchyard/switchyard/internal/store"
)

func TestProbeResultStatus(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600))
	utc := at.UTC()
	long := errors.New(strings.Repeat("e", 2*maxErrorText))
	tests := []struct {
		name string
		in   probeResult
		want store.ClusterStatus
	}{
		{"all there", probeResult{Reachable: true, KubernetesVersion: "v1.34.5", ArgoInstalled: true, ArgoVersion: "v1.10.1", IstioInstalled: true},
			store.ClusterStatus{Reachable: true, KubernetesVersion: "v1.34.5", ArgoInstalled: true, ArgoVersion: "v1.10.1", IstioInstalled: true}},
		{"bare", probeResult{Reachable: true, KubernetesVersion: "v1.34.5"},
			store.ClusterStatus{Reachable: true, KubernetesVersion: "v1.34.5"}},
		{"unreachable", probeResult{Err: errors.New("dial tcp: connection refused")},
			store.ClusterStatus{Error: "dial tcp: connection refused"}},
		{"unreachable claims nothing", probeResult{Err: errors.New("x"), KubernetesVersion: "v1", ArgoInstalled: true, IstioInstalled: true},
			store.ClusterStatus{Error: "x"}},
		{"partial failure", probeResult{Reachable: true, KubernetesVersion: "v1.34.5", IstioInstalled: true, Err: errors.New("detect Argo Rollouts: forbidden")},
			store.ClusterStatus{Reachable: true, KubernetesVersion: "v1.34.5", IstioInstalled: true, Error: "detect Argo Rollouts: forbidden"}},
		{"long error", probeResult{Err: long}, store.ClusterStatus{Error: strings.Repeat("e", maxErrorText) + "…"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.in.status(at)
			if got.ProbedAt == nil || !got.ProbedAt.Equal(utc) || got.ProbedAt.Location() != time.UTC {
				t.Errorf("ProbedAt = %v, want %v in UTC", got.ProbedAt, utc)
			}
			got.ProbedAt = nil
			if got != tt.want {
				t.Errorf("status = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestImageTag(t *testing.T) {
	tests := []struct{ image, want string }{
		{"argoproj/argo-rollouts:v1.10.1", "v1.10.1"},
		{"argo-rollouts", ""},
		{"localhost:5000/argoproj/argo-rollouts", ""},
		{"localhost:5000/argoproj/argo-rollouts:v1.8.0", "v1.8.0"},
		{"argoproj/argo-rollouts:v1.7.2@sha256:abcd", "v1.7.2"},
		{"argoproj/argo-rollouts@sha256:abcd", ""},
	}
	for _, tt := range tests {
		if got := imageTag(tt.image); got != tt.want {
			t.Errorf("imageTag(%q) = %q, want %q", tt.image, got, tt.want)
		}
	}
}

func deploymentWith(images ...[2]string) appsv1.Deployment {
	var d appsv1.Deployment
	d.ObjectMeta = metav1.ObjectMeta{Name: "argo-rollouts"}
	for _, nameImage := range images {
		d.Spec.Template.Spec.Containers = append(d.Spec.Template.Spec.Containers, corev1.Container{Name: nameImage[0], Image: nameImage[1]})
	}
	return d
}

func TestControllerVersion(t *testing.T) {
	tests := []struct {
		name string
		deps []appsv1.Deployment
		want string
	}{
		{"none", nil, ""},
		{"by container name", []appsv1.Deployment{deploymentWith([2]string{"sidecar", "proxy:1.0"}, [2]string{"argo-rollouts", "ctl:v1.10.1"})}, "v1.10.1"},
		{"by image name", []appsv1.Deployment{deploymentWith([2]string{"controller", "argoproj/argo-rollouts:v1.9.0"})}, "v1.9.0"},
		{"first container", []appsv1.Deployment{deploymentWith([2]string{"controller", "mirror/rollouts:v1.6.0"})}, "v1.6.0"},
		{"no containers, then one", []appsv1.Deployment{deploymentWith(), deploymentWith([2]string{"argo-rollouts", "x:v2"})}, "v2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := controllerVersion(tt.deps); got != tt.want {
				t.Errorf("controllerVersion = %q, want %q", got, tt.want)
			}
		})
	}
}
