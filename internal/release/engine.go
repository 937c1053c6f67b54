package release

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/switchyard/switchyard/internal/cluster"
)

// Errors of job operations. Callers map them to HTTP statuses.
var (
	// ErrConflict: the operation does not fit the job's current state (or another
	// owner holds the object). Not worth retrying as is.
	ErrConflict = errors.New("conflict")
	// ErrNotFound: an object the operation needs is missing from the cluster.
	ErrNotFound = errors.New("not found")
)

// ConflictError says why an operation does not fit the current state; Phase is
// the job's phase when it is known.
type ConflictError struct {
	Reason string
	Phase  Phase
}

func (e *ConflictError) Error() string { return e.Reason }

// Is makes errors.Is(err, ErrConflict) true.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// Engine runs job operations against one cluster. Its reads go to the API
// server, not a cache: an operation must act on the latest state.
type Engine struct {
	Kube    kubernetes.Interface
	Dynamic dynamic.Interface
	// Poll is how often waits re-check the cluster; zero means 250 ms.
	Poll time.Duration
	// AfterStep, when set, is called after each step of an operation with the
	// step's name (crash tests stop the process there).
	AfterStep func(step string)
	// Logger receives what the engine does on its own initiative; nil discards it.
	Logger *slog.Logger
	// ArgoInstanceID is the --instance-id the cluster's Argo Rollouts
	// controller runs with; new Rollouts carry it as a label. "" for none.
	ArgoInstanceID string
}

// ObserveTimeout bounds how long an operation waits for the Argo controller
// to observe a Rollout change before going on without it.
const ObserveTimeout = 10 * time.Second

func (e *Engine) log() *slog.Logger {
	if e.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return e.Logger
}

// step is one small, idempotent part of an operation.
type step struct {
	name string
	run  func(ctx context.Context, t Target) error
}

// runSteps runs steps in order and says which one failed.
func (e *Engine) runSteps(ctx context.Context, t Target, steps []step) error {
	for _, s := range steps {
		if err := s.run(ctx, t); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		if e.AfterStep != nil {
			e.AfterStep(s.name)
		}
	}
	return nil
}

func (e *Engine) rollouts(ns string) dynamic.ResourceInterface {
	return e.Dynamic.Resource(cluster.RolloutGVR).Namespace(ns)
}

// missingRollout says that a job's Rollout is not in the cluster.
func missingRollout(ns, name string) string {
	return fmt.Sprintf("the job's Rollout %s/%s is missing from the cluster (deleted outside Switchyard?)", ns, name)
}

// getRollout returns the job's Rollout, or ErrNotFound.
func (e *Engine) getRollout(ctx context.Context, t Target) (*unstructured.Unstructured, error) {
	ro, err := e.rollouts(t.Spec.Namespace).Get(ctx, t.Spec.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("%s: %w", missingRollout(t.Spec.Namespace, t.Spec.Name), ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get rollout %s/%s: %w", t.Spec.Namespace, t.Spec.Name, err)
	}
	return ro, nil
}

// apply server-side applies obj with Switchyard's field manager.
func (e *Engine) applyRollout(ctx context.Context, ro *unstructured.Unstructured) error {
	_, err := e.rollouts(ro.GetNamespace()).Apply(ctx, ro.GetName(), ro, metav1.ApplyOptions{FieldManager: FieldManager, Force: true})
	if err != nil {
		return fmt.Errorf("apply rollout %s/%s: %w", ro.GetNamespace(), ro.GetName(), err)
	}
	return nil
}

// patchRollout sends a merge patch to the Rollout (or its status subresource).
func (e *Engine) patchRollout(ctx context.Context, t Target, patch any, subresources ...string) error {
	body, err := json.Marshal(patch)
	if err != nil {
		return fmt.Errorf("encode patch: %w", err)
	}
	_, err = e.rollouts(t.Spec.Namespace).Patch(ctx, t.Spec.Name, types.MergePatchType, body, metav1.PatchOptions{FieldManager: FieldManager}, subresources...)
	if apierrors.IsNotFound(err) {
		return fmt.Errorf("%s: %w", missingRollout(t.Spec.Namespace, t.Spec.Name), ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("patch rollout %s/%s: %w", t.Spec.Namespace, t.Spec.Name, err)
	}
	return nil
}

// wait polls cond until it returns true, an error, or ctx ends.
func (e *Engine) wait(ctx context.Context, what string, cond func(ctx context.Context) (bool, error)) error {
	poll := e.Poll
	if poll == 0 {
		poll = 250 * time.Millisecond
	}
	for {
		ok, err := cond(ctx)
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		case <-time.After(poll):
		}
	}
}
