package release

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestSpecValidate(t *testing.T) {
	ok := Spec{Name: "web-bg", Namespace: "demo", Deployment: "web", Service: "web"}
	tests := []struct {
		name   string
		mutate func(*Spec)
		fields []string // fields with an error; none means valid
	}{
		{"valid", func(*Spec) {}, nil},
		{"name missing", func(s *Spec) { s.Name = "" }, []string{"name"}},
		{"name uppercase", func(s *Spec) { s.Name = "Web" }, []string{"name"}},
		{"name with underscore", func(s *Spec) { s.Name = "web_bg" }, []string{"name"}},
		{"name starts with dash", func(s *Spec) { s.Name = "-web" }, []string{"name"}},
		{"name ends with dash", func(s *Spec) { s.Name = "web-" }, []string{"name"}},
		{"name of 63", func(s *Spec) { s.Name = strings.Repeat("a", 63) }, nil},
		{"name of 64", func(s *Spec) { s.Name = strings.Repeat("a", 64) }, []string{"name"}},
		{"name starts with digit", func(s *Spec) { s.Name = "1web" }, nil},
		{"everything missing", func(s *Spec) { *s = Spec{} }, []string{"name", "namespace", "deployment", "service"}},
		{"negative standby", func(s *Spec) { s.ScaleDownDelaySeconds = ptr(int32(-1)) }, []string{"scale_down_delay_seconds"}},
		{"zero standby", func(s *Spec) { s.ScaleDownDelaySeconds = ptr(int32(0)) }, nil},
		{"auto promotion too long", func(s *Spec) { s.AutoPromotionSeconds = ptr(int32(MaxAutoPromotionSeconds + 1)) }, []string{"auto_promotion_seconds"}},
		{"zero preview replicas", func(s *Spec) { s.PreviewReplicaCount = ptr(int32(0)) }, []string{"preview_replica_count"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := ok
			tt.mutate(&s)
			got := fieldsOf(s.Validate())
			if strings.Join(got, ",") != strings.Join(tt.fields, ",") {
				t.Fatalf("Validate() fields = %v, want %v (%v)", got, tt.fields, s.Validate())
			}
		})
	}
}

func fieldsOf(err error) []string {
	var out []string
	var walk func(error)
	walk = func(err error) {
		if err == nil {
			return
		}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
			return
		}
		var fe *FieldError
		if errors.As(err, &fe) {
			out = append(out, fe.Field)
		}
	}
	walk(err)
	return out
}

func TestPreviewServiceName(t *testing.T) {
	tests := []struct{ job, want string }{
		{"web", "web-preview"},
		{"1web", "p-1web-preview"},
		{strings.Repeat("a", 63), strings.Repeat("a", 55) + "-preview"},
		{strings.Repeat("a", 54) + "-bc", strings.Repeat("a", 54) + "-preview"},
	}
	for _, tt := range tests {
		got := PreviewServiceName(tt.job)
		if got != tt.want {
			t.Errorf("PreviewServiceName(%q) = %q, want %q", tt.job, got, tt.want)
		}
		if len(got) > 63 || got[0] < 'a' || got[0] > 'z' {
			t.Errorf("PreviewServiceName(%q) = %q is not a DNS-1035 label", tt.job, got)
		}
	}
}

func TestRolloutManifest(t *testing.T) {
	dep := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web"}}
	dep.Spec.Replicas = ptr(int32(3))
	dep.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}
	tg := Target{Workspace: "team", Spec: Spec{Name: "web-bg", Namespace: "demo", Deployment: "web", Service: "web"}}

	ro := Rollout(tg, dep)
	checks := map[string]any{
		"spec.replicas":                                    int64(3),
		"spec.workloadRef.name":                            "web",
		"spec.workloadRef.scaleDown":                       "progressively",
		"spec.strategy.blueGreen.activeService":            "web",
		"spec.strategy.blueGreen.previewService":           "web-bg-preview",
		"spec.strategy.blueGreen.autoPromotionEnabled":     false,
		"spec.strategy.blueGreen.scaleDownDelaySeconds":    int64(30),
		"metadata.labels.app\\.kubernetes\\.io/managed-by": "switchyard",
	}
	for path, want := range checks {
		got, _, _ := unstructured.NestedFieldNoCopy(ro.Object, splitPath(path)...)
		if got != want {
			t.Errorf("%s = %v (%T), want %v", path, got, got, want)
		}
	}

	tg.Spec.AutoPromotionSeconds, tg.Spec.ScaleDownDelaySeconds = ptr(int32(20)), ptr(int32(120))
	ro = Rollout(tg, dep)
	bg, _, _ := unstructured.NestedMap(ro.Object, "spec", "strategy", "blueGreen")
	if bg["autoPromotionEnabled"] != true || bg["autoPromotionSeconds"] != int64(20) || bg["scaleDownDelaySeconds"] != int64(120) {
		t.Errorf("with auto promotion after 20 s and 120 s standby: blueGreen = %v", bg)
	}
}

// splitPath splits a dotted path; "\." escapes a dot inside a key.
func splitPath(p string) []string {
	parts := strings.Split(strings.ReplaceAll(p, `\.`, "\x00"), ".")
	for i := range parts {
		parts[i] = strings.ReplaceAll(parts[i], "\x00", ".")
	}
	return parts
}

func TestObservePhase(t *testing.T) {
	rs := func(hash string, rev string, ready, desired int32) *appsv1.ReplicaSet {
		r := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{
			Name: "web-" + hash, Labels: map[string]string{HashLabel: hash}, Annotations: map[string]string{RevisionAnno: rev},
		}}
		r.Spec.Replicas = &desired
		r.Status.AvailableReplicas = ready
		return r
	}
	ro := func(status map[string]any) *unstructured.Unstructured {
		u := &unstructured.Unstructured{Object: map[string]any{"metadata": map[string]any{"generation": int64(2)}}}
		if status != nil {
			status["observedGeneration"] = "2"
			u.Object["status"] = status
		}
		return u
	}
	pause := []any{map[string]any{"reason": "BlueGreenPause"}}
	tests := []struct {
		name string
		ro   *unstructured.Unstructured
		rss  []*appsv1.ReplicaSet
		want Phase
	}{
		{"no rollout", nil, nil, PhaseCreating},
		{"no status yet", &unstructured.Unstructured{Object: map[string]any{"metadata": map[string]any{"generation": int64(1)}, "status": map[string]any{"observedGeneration": "1"}}}, nil, PhaseCreating},
		{"stale generation", &unstructured.Unstructured{Object: map[string]any{"metadata": map[string]any{"generation": int64(3)}, "status": map[string]any{"observedGeneration": "2", "phase": "Healthy"}}}, nil, PhaseProgressing},
		{"healthy", ro(map[string]any{"phase": "Healthy"}), nil, PhaseHealthy},
		{"degraded", ro(map[string]any{"phase": "Degraded", "message": "ProgressDeadlineExceeded"}), nil, PhaseDegraded},
		{"aborted", ro(map[string]any{"phase": "Degraded", "abort": true}), nil, PhaseAborted},
		// Argo clears abort while promoteFull is set: such an abort has not taken.
		{"abort under promoteFull", ro(map[string]any{"phase": "Progressing", "abort": true, "promoteFull": true, "currentPodHash": "g", "stableRS": "b",
			"blueGreen": map[string]any{"activeSelector": "b"}}), []*appsv1.ReplicaSet{rs("g", "2", 0, 3)}, PhaseProgressing},
		{"paused, green ready", ro(map[string]any{"phase": "Paused", "currentPodHash": "g", "pauseConditions": pause}), []*appsv1.ReplicaSet{rs("g", "2", 3, 3), rs("b", "1", 3, 3)}, PhaseAwaitingPromotion},
		{"paused, green not ready", ro(map[string]any{"phase": "Paused", "currentPodHash": "g", "pauseConditions": pause}), []*appsv1.ReplicaSet{rs("g", "2", 1, 3)}, PhaseProgressing},
		{"paused by hand", ro(map[string]any{"phase": "Paused", "currentPodHash": "g"}), nil, PhasePaused},
		{"progressing, green coming up", ro(map[string]any{"phase": "Progressing", "currentPodHash": "g", "stableRS": "b", "blueGreen": map[string]any{"activeSelector": "b"}}), []*appsv1.ReplicaSet{rs("g", "2", 1, 3)}, PhaseProgressing},
		{"switching", ro(map[string]any{"phase": "Progressing", "currentPodHash": "g", "stableRS": "b", "blueGreen": map[string]any{"activeSelector": "b"}}), []*appsv1.ReplicaSet{rs("g", "2", 3, 3)}, PhaseSwitching},
		{"verifying", ro(map[string]any{"phase": "Progressing", "currentPodHash": "g", "stableRS": "b", "blueGreen": map[string]any{"activeSelector": "g"}}), nil, PhaseVerifying},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Observe(tt.ro, tt.rss); got.Phase != tt.want {
				t.Fatalf("phase = %q (%s), want %q", got.Phase, got.Message, tt.want)
			}
		})
	}
}

func TestPickRevision(t *testing.T) {
	mk := func(hash, rev string) *appsv1.ReplicaSet {
		return &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: hash, Labels: map[string]string{HashLabel: hash}, Annotations: map[string]string{RevisionAnno: rev}}}
	}
	rss := []*appsv1.ReplicaSet{mk("a", "1"), mk("c", "3"), mk("b", "2")}
	tests := []struct {
		name     string
		current  string
		revision int
		want     string
		wantErr  error
	}{
		{"previous of 3", "c", 0, "b", nil},
		{"previous of 2", "b", 0, "a", nil},
		{"chosen", "c", 1, "a", nil},
		{"nothing before the first", "a", 0, "", ErrConflict},
		{"current chosen", "c", 3, "", nil},
		{"unknown revision", "c", 9, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := pickRevision(rss, tt.current, tt.revision)
			switch {
			case tt.want != "" && (err != nil || got.Name != tt.want):
				t.Fatalf("pickRevision = %v, %v; want %s", got, err, tt.want)
			case tt.want == "" && err == nil:
				t.Fatalf("pickRevision = %v, want an error", got.Name)
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestObserveWorkload(t *testing.T) {
	ro := &unstructured.Unstructured{Object: map[string]any{
		"metadata": map[string]any{"generation": int64(1)},
		"status":   map[string]any{"observedGeneration": "1", "phase": "Healthy", "workloadObservedGeneration": "3", "currentPodHash": "abc"},
	}}
	tmpl := func(image string) corev1.PodTemplateSpec {
		return corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "app"}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: image}}}}
	}
	current := tmpl("app:1")
	current.Labels = map[string]string{"app": "app", HashLabel: "abc"}
	rss := []*appsv1.ReplicaSet{{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{HashLabel: "abc"}}, Spec: appsv1.ReplicaSetSpec{Template: current}}}
	dep := func(gen int64, image string) *appsv1.Deployment {
		return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Generation: gen}, Spec: appsv1.DeploymentSpec{Template: tmpl(image)}}
	}
	tests := []struct {
		name string
		dep  *appsv1.Deployment
		want Phase
	}{
		{"no deployment", nil, PhaseHealthy},
		{"seen", dep(3, "app:2"), PhaseHealthy},
		{"new version not seen yet", dep(4, "app:2"), PhaseProgressing},
		{"only scaled down by Argo", dep(4, "app:1"), PhaseHealthy},
	}
	for _, tt := range tests {
		if got := ObserveWorkload(ro, rss, tt.dep).Phase; got != tt.want {
			t.Errorf("%s: phase %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestAttachPods(t *testing.T) {
	pod := func(name, hash string, phase corev1.PodPhase, ready bool, mod func(*corev1.Pod)) *corev1.Pod {
		cond := corev1.ConditionFalse
		if ready {
			cond = corev1.ConditionTrue
		}
		p := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{HashLabel: hash}},
			Status:     corev1.PodStatus{Phase: phase, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: cond}}},
		}
		if mod != nil {
			mod(p)
		}
		return p
	}
	st := Status{Versions: []Version{{PodHash: "green"}, {PodHash: "blue"}, {PodHash: "old"}}}
	AttachPods(&st, []*corev1.Pod{
		pod("app-b2", "blue", corev1.PodRunning, true, nil),
		pod("app-b1", "blue", corev1.PodRunning, true, func(p *corev1.Pod) { p.Spec.NodeName = "node-1" }),
		pod("app-g1", "green", corev1.PodRunning, false, func(p *corev1.Pod) {
			p.Status.ContainerStatuses = []corev1.ContainerStatus{{RestartCount: 4, State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}}}}
		}),
		pod("app-g2", "green", "", false, func(p *corev1.Pod) { p.DeletionTimestamp = &metav1.Time{} }),
		pod("other", "", corev1.PodRunning, true, nil),
	})
	names := func(ps []Pod) (out []string) {
		for _, p := range ps {
			out = append(out, p.Name)
		}
		return out
	}
	if got := names(st.Versions[1].Pods); !reflect.DeepEqual(got, []string{"app-b1", "app-b2"}) {
		t.Errorf("blue pods %v, want app-b1 app-b2 by name", got)
	}
	if b1 := st.Versions[1].Pods[0]; !b1.Ready || b1.Node != "node-1" || b1.Phase != "Running" {
		t.Errorf("blue pod %+v, want ready, Running, on node-1", b1)
	}
	g := st.Versions[0].Pods
	if len(g) != 2 || g[0].Ready || g[0].Restarts != 4 || g[0].Reason != "CrashLoopBackOff" {
		t.Errorf("green pod %+v, want not ready, 4 restarts, CrashLoopBackOff", g)
	}
	if g[1].Phase != "Pending" || !g[1].Deleting {
		t.Errorf("green pod %+v, want Pending (no phase yet) and deleting", g[1])
	}
	if st.Versions[2].Pods == nil || len(st.Versions[2].Pods) != 0 {
		t.Errorf("version without pods has %#v, want an empty list", st.Versions[2].Pods)
	}
}

func TestNoticeStall(t *testing.T) {
	created := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	ro := func(status map[string]any) *unstructured.Unstructured {
		u := &unstructured.Unstructured{Object: map[string]any{"metadata": map[string]any{"generation": int64(1)}}}
		if status != nil {
			u.Object["status"] = status
		}
		u.SetCreationTimestamp(metav1.NewTime(created))
		return u
	}
	tests := []struct {
		name  string
		ro    *unstructured.Unstructured
		after time.Duration
		stall bool
	}{
		{"just created", ro(nil), 5 * time.Second, false},
		{"never picked up", ro(nil), time.Minute, true},
		{"picked up long ago", ro(map[string]any{"observedGeneration": "1", "phase": "Healthy"}), time.Hour, false},
		{"no rollout", nil, time.Hour, false},
	}
	for _, tt := range tests {
		st := Observe(tt.ro, nil)
		before := st.Message
		NoticeStall(&st, tt.ro, created.Add(tt.after), DefaultStallAfter)
		if stalled := st.Message != before; stalled != tt.stall {
			t.Errorf("%s: message %q, stall noticed %v, want %v", tt.name, st.Message, stalled, tt.stall)
		}
		if tt.stall && (!strings.Contains(st.Message, "1m0s") || !strings.Contains(st.Message, "--instance-id")) {
			t.Errorf("%s: message %q does not say how long nor hint at --instance-id", tt.name, st.Message)
		}
	}
}
