package release

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/testenv"
)

// TestPromoteWithAutoPromotion promotes a job made with auto-promotion
// seconds while Argo counts them down. Argo counts that pause as done only
// when its deadline has passed: clearing the pause condition (a plain
// promote) leaves the release unswitched, and Argo then pauses it again with
// a fresh countdown. The promote must switch traffic and stay switched, and
// its answer must say so.
func TestPromoteWithAutoPromotion(t *testing.T) {
	e := engine(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ns := testenv.Namespace(t, e.Kube, "autopromote")
	app(ctx, t, e, ns)
	const wait = 600 // seconds: far beyond the test, so only the promote can switch
	tg := Target{Workspace: "team", Spec: Spec{Name: "app-bg", Namespace: ns, Deployment: "app", Service: "app", AutoPromotionSeconds: ptr(int32(wait))}}
	if err := e.Create(ctx, tg); err != nil {
		t.Fatal(err)
	}
	st := mustPhase(ctx, t, e, tg, PhaseHealthy)
	blue := st.Versions[0].PodHash
	time.Sleep(1100 * time.Millisecond) // Argo's one-second clock

	if err := e.Deploy(ctx, tg, map[string]string{"app": "example/app:2"}); err != nil {
		t.Fatal(err)
	}
	st = mustPhase(ctx, t, e, tg, PhaseAwaitingPromotion)
	green := st.Versions[0].PodHash
	if green == blue {
		t.Fatalf("awaiting promotion: newest version %q is blue", green)
	}
	t.Run("the phase text says when it switches on its own", func(t *testing.T) {
		ro, err := e.getRollout(ctx, tg)
		if err != nil {
			t.Fatal(err)
		}
		at, ok := autoPromoteAt(ro)
		if !ok {
			t.Fatalf("no auto-promotion time read from status %v", ro.Object["status"])
		}
		if d := time.Until(at); d < (wait-60)*time.Second || d > wait*time.Second {
			t.Fatalf("auto-promotion at %v, %v from now; want about %d s from now", at, d, wait)
		}
		if want := at.UTC().Format(time.RFC3339); !strings.Contains(st.Message, want) {
			t.Fatalf("message %q, want it to name %s", st.Message, want)
		}
	})

	if err := e.Promote(ctx, tg, false); err != nil {
		t.Fatalf("promote: %v", err)
	}
	t.Run("the promote's answer is the switch", func(t *testing.T) {
		st, err := e.Status(ctx, tg)
		if err != nil {
			t.Fatal(err)
		}
		if st.Phase != PhaseVerifying && st.Phase != PhaseHealthy {
			t.Fatalf("right after the promote the job is %s (%s), want Verifying or Healthy", st.Phase, st.Message)
		}
		if got := selectorHash(ctx, t, e, ns, "app"); got != green {
			t.Fatalf("active Service selects %q right after the promote, want green %q", got, green)
		}
	})
	t.Run("it stays switched", func(t *testing.T) {
		// Watch the job for a while: it must reach Healthy on green and never
		// go back to waiting for a promotion.
		wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		var seen []Phase
		for wctx.Err() == nil {
			st, err := e.Status(ctx, tg)
			if err != nil {
				t.Fatal(err)
			}
			if len(seen) == 0 || seen[len(seen)-1] != st.Phase {
				seen = append(seen, st.Phase)
			}
			if st.Phase == PhaseAwaitingPromotion || st.Phase == PhasePaused {
				t.Fatalf("after the promote the job went back to %s (%s); phases %v", st.Phase, st.Message, seen)
			}
			time.Sleep(200 * time.Millisecond)
		}
		if seen[len(seen)-1] != PhaseHealthy {
			t.Fatalf("phases after the promote %v, want them to end Healthy", seen)
		}
		if got := selectorHash(ctx, t, e, ns, "app"); got != green {
			t.Fatalf("active Service selects %q, want green %q", got, green)
		}
	})
}
