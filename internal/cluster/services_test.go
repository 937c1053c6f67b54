package cluster

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestSelects(t *testing.T) {
	pod := map[string]string{"app": "web", "tier": "front"}
	tests := []struct {
		name     string
		selector map[string]string
		want     bool
		reason   string
	}{
		{"same labels", map[string]string{"app": "web", "tier": "front"}, true, ""},
		{"subset", map[string]string{"app": "web"}, true, ""},
		{"empty selector", nil, false, "no selector"},
		{"other value", map[string]string{"app": "worker"}, false, "pod template has app=web"},
		{"missing key", map[string]string{"app": "web", "version": "v2"}, false, "no label version"},
		{"superset", map[string]string{"app": "web", "tier": "front", "x": "y"}, false, "no label x"},
		{"argo hash", map[string]string{"app": "web", "rollouts-pod-template-hash": "abc"}, false, "no label rollouts-pod-template-hash"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, reason := selects(tt.selector, pod)
			if got != tt.want || (tt.reason == "") != (reason == "") || !strings.Contains(reason, tt.reason) {
				t.Errorf("selects(%v) = %v, %q; want %v, reason containing %q", tt.selector, got, reason, tt.want, tt.reason)
			}
		})
	}
	if ok, _ := selects(map[string]string{"app": "web"}, nil); ok {
		t.Error("selects with no pod labels = true, want false")
	}
}

func TestServiceInfo(t *testing.T) {
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "web",
			Annotations: map[string]string{ManagedByRolloutAnnotation: "web-bg"}},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, Selector: map[string]string{"app": "web"},
			Ports: []corev1.ServicePort{{Port: 80}, {Port: 443}}},
	}
	tests := []struct {
		name       string
		deployment string
		pod        map[string]string
		selects    bool
		reason     string
	}{
		{"selects", "web", map[string]string{"app": "web"}, true, ""},
		{"does not select", "worker", map[string]string{"app": "worker"}, false, "does not select the pods of deployment worker"},
		{"no deployment", "", nil, false, "no deployment given"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			si := serviceInfo(svc, tt.deployment, tt.pod)
			if si.SelectsDeployment != tt.selects || !strings.Contains(si.Reason, tt.reason) || (tt.reason == "") != (si.Reason == "") {
				t.Errorf("SelectsDeployment, Reason = %v, %q; want %v, containing %q", si.SelectsDeployment, si.Reason, tt.selects, tt.reason)
			}
			if si.ManagedByRollout != "web-bg" || si.Name != "web" || si.Namespace != "demo" || len(si.Ports) != 2 || si.Ports[1] != 443 {
				t.Errorf("ServiceInfo = %+v; want demo/web managed by web-bg with ports 80, 443", si)
			}
		})
	}
}
