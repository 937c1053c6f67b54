package release

import (
	"context"
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/switchyard/switchyard/internal/testenv"
)

// BenchmarkCreateToHealthy measures, on the local cluster, the time from
// creating a job for a 3-replica Deployment to the job being Healthy.
//
//	go test -run '^$' -bench CreateToHealthy -benchtime 5x ./internal/release
func BenchmarkCreateToHealthy(b *testing.B) {
	e := benchEngine(b)
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		ns := testenv.Namespace(b, e.Kube, "bench-create")
		app(ctx, b, e, ns)
		tg := Target{Workspace: "bench", Spec: Spec{Name: fmt.Sprintf("app-%d", i), Namespace: ns, Deployment: "app", Service: "app"}}
		b.StartTimer()
		if err := e.Create(ctx, tg); err != nil {
			b.Fatal(err)
		}
		if _, err := e.WaitPhase(ctx, tg, PhaseHealthy); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRollbackSwitch measures the time from the roll back call, inside
// the standby window, to the active Service selecting the old version again.
//
//	go test -run '^$' -bench RollbackSwitch -benchtime 5x ./internal/release
func BenchmarkRollbackSwitch(b *testing.B) {
	e := benchEngine(b)
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		ns := testenv.Namespace(b, e.Kube, "bench-rollback")
		app(ctx, b, e, ns)
		tg := Target{Workspace: "bench", Spec: Spec{Name: "app", Namespace: ns, Deployment: "app", Service: "app"}}
		must(b, e.Create(ctx, tg))
		st, err := e.WaitPhase(ctx, tg, PhaseHealthy)
		must(b, err)
		blue := st.Versions[0].PodHash
		time.Sleep(1100 * time.Millisecond) // Argo's one-second clock, see TestFullPath
		must(b, e.Deploy(ctx, tg, map[string]string{"app": "example/app:2"}))
		_, err = e.WaitPhase(ctx, tg, PhaseAwaitingPromotion)
		must(b, err)
		must(b, e.Promote(ctx, tg, false))
		_, err = e.WaitPhase(ctx, tg, PhaseHealthy)
		must(b, err)
		b.StartTimer()
		_, err = e.Rollback(ctx, tg, 0)
		must(b, err)
		must(b, e.wait(ctx, "the active service back on blue", func(ctx context.Context) (bool, error) {
			svc, err := e.Kube.CoreV1().Services(ns).Get(ctx, "app", metav1.GetOptions{})
			return err == nil && svc.Spec.Selector[HashLabel] == blue, nil
		}))
	}
}

func benchEngine(b *testing.B) *Engine {
	kc, dc := testenv.Clients(b, testenv.Kubeconfig(b))
	return &Engine{Kube: kc, Dynamic: dc, Poll: 20 * time.Millisecond}
}

func must(b *testing.B, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
}
