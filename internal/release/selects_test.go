package release

import (
	"context"
	"errors"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/switchyard/switchyard/internal/cluster"
	"github.com/switchyard/switchyard/internal/testenv"
)

// TestPickerAgreesWithCreation: the job form's Service picker (the cluster's
// caches) and the creation check (the API server) judge "this Service selects
// this Deployment" by one rule. A Service still carrying Argo's hash in its
// selector (a Rollout switched it once) is where the two used to disagree:
// the picker refused it, creation took it.
func TestPickerAgreesWithCreation(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e := engine(t)
	ns := testenv.Namespace(t, e.Kube, "selects")
	app(ctx, t, e, ns)
	selectors := map[string]map[string]string{
		"hashed": {"app": "app", HashLabel: "5d8f7c9b4"},
		"plain":  {"app": "app"},
		"other":  {"app": "other"},
		"extra":  {"app": "app", "tier": "front"},
		"empty":  nil,
	}
	for name, sel := range selectors {
		svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: corev1.ServiceSpec{Selector: sel, Ports: []corev1.ServicePort{{Port: 80}}}}
		if _, err := e.Kube.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	_, mgr := newManager(ctx, t)
	c, err := mgr.RegisterFromPath(ctx, "local", testenv.Kubeconfig(t), "")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := mgr.Conn(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	var picked []cluster.ServiceInfo
	if err := e.wait(ctx, "the picker to list every Service", func(context.Context) (bool, error) {
		picked, err = conn.Services(ns, "app")
		return err == nil && len(picked) == len(selectors)+1, err // and "app" itself
	}); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"app": true, "hashed": true, "plain": true, "other": false, "extra": false, "empty": false}
	for _, si := range picked {
		t.Run(si.Name, func(t *testing.T) {
			err := e.Check(ctx, Target{Spec: Spec{Name: "job-" + si.Name, Namespace: ns, Deployment: "app", Service: si.Name}})
			var fe *FieldError
			refused := errors.As(err, &fe) && fe.Field == "service"
			if err != nil && !refused {
				t.Fatalf("creation check: %v", err)
			}
			if si.SelectsDeployment != want[si.Name] {
				t.Errorf("picker: selects %v (%s), want %v", si.SelectsDeployment, si.Reason, want[si.Name])
			}
			if si.SelectsDeployment == refused {
				t.Errorf("picker says selects=%v (%q) but creation says %v", si.SelectsDeployment, si.Reason, err)
			}
			if refused && fe.Rule != si.Reason {
				t.Errorf("picker reason %q, creation %q: want one message", si.Reason, fe.Rule)
			}
		})
	}
}
