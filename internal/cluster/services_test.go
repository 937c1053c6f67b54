package cluster

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func deployment(name string, pod map[string]string) *appsv1.Deployment {
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name}}
	d.Spec.Template.Labels = pod
	return d
}

func TestSelectsPods(t *testing.T) {
	dep := deployment("web", map[string]string{"app": "web", "tier": "front"})
	tests := []struct {
		name     string
		selector map[string]string
		want     bool
		reason   string
	}{
		{"same labels", map[string]string{"app": "web", "tier": "front"}, true, ""},
		{"subset", map[string]string{"app": "web"}, true, ""},
		{"empty selector", nil, false, `Service "svc" has no selector: it must select the pods of Deployment "web"`},
		{"other value", map[string]string{"app": "worker"}, false, `Service "svc" does not select the pods of Deployment "web": selector app=worker, but the pod template has app=web`},
		{"missing key", map[string]string{"app": "web", "version": "v2"}, false, "no label version"},
		{"superset", map[string]string{"app": "web", "tier": "front", "x": "y"}, false, "no label x"},
		// Argo adds its hash to the Services it switches; a Deployment's template never has it.
		{"argo hash", map[string]string{"app": "web", RolloutHashLabel: "abc"}, true, ""},
		{"only argo hash", map[string]string{RolloutHashLabel: "abc"}, false, "has no selector"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "svc"}, Spec: corev1.ServiceSpec{Selector: tt.selector}}
			got, reason := SelectsPods(svc, dep)
			if got != tt.want || (tt.reason == "") != (reason == "") || !strings.Contains(reason, tt.reason) {
				t.Errorf("SelectsPods(%v) = %v, %q; want %v, reason containing %q", tt.selector, got, reason, tt.want, tt.reason)
			}
		})
	}
	svc := &corev1.Service{Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"}}}
	if ok, _ := SelectsPods(svc, deployment("bare", nil)); ok {
		t.Error("SelectsPods of a Deployment without pod labels = true, want false")
	}
}

func TestServiceInfo(t *testing.T) {
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "web",
			Annotations: map[string]string{ManagedByRolloutAnnotation: "web-bg"}},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, Selector: map[string]string{"app": "web", RolloutHashLabel: "abc"},
			Ports: []corev1.ServicePort{{Port: 80}, {Port: 443}}},
	}
	tests := []struct {
		name    string
		dep     *appsv1.Deployment
		selects bool
		reason  string
	}{
		{"selects", deployment("web", map[string]string{"app": "web"}), true, ""},
		{"does not select", deployment("worker", map[string]string{"app": "worker"}), false, `does not select the pods of Deployment "worker"`},
		{"no deployment", nil, false, "no deployment given"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			si := serviceInfo(svc, tt.dep)
			if si.SelectsDeployment != tt.selects || !strings.Contains(si.Reason, tt.reason) || (tt.reason == "") != (si.Reason == "") {
				t.Errorf("SelectsDeployment, Reason = %v, %q; want %v, containing %q", si.SelectsDeployment, si.Reason, tt.selects, tt.reason)
			}
			if si.ManagedByRollout != "web-bg" || si.Name != "web" || si.Namespace != "demo" || len(si.Ports) != 2 || si.Ports[1] != 443 {
				t.Errorf("ServiceInfo = %+v; want demo/web managed by web-bg with ports 80, 443", si)
			}
		})
	}
}
