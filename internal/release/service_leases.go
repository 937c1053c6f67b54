package release

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
)

// withLease runs fn holding the job's lease, so that no other request or
// replica works on the job meanwhile. A lease held elsewhere is ErrBusy. The
// lease is short and renewed while fn runs, so that when its holder crashes
// another replica (or the restarted server) takes over within LeaseTTL.
func (s *Service) withLease(ctx context.Context, jobID int64, fn func(ctx context.Context) error) error {
	return s.withLeaseWaiting(ctx, jobID, 0, fn)
}

// OperationLeaseWait is how long an operation waits for another one on the
// same job to finish before it answers ErrBusy: a second click (Roll back
// right after Promote, whose wait for the switch outlasts what the page
// already shows) runs after the first instead of failing.
const OperationLeaseWait = 30 * time.Second

// withLeaseWaiting is withLease that, while the lease is held elsewhere,
// tries again every 100 ms for up to wait before it gives ErrBusy.
func (s *Service) withLeaseWaiting(ctx context.Context, jobID int64, wait time.Duration, fn func(ctx context.Context) error) error {
	owner := fmt.Sprintf("%s/%d", s.Owner, s.now().UnixNano())
	ttl := s.leaseTTL()
	deadline := time.Now().Add(wait)
	for {
		ok, err := s.Store.ClaimJob(ctx, jobID, owner, ttl)
		if err != nil {
			return err
		}
		if ok {
			break
		}
		if !time.Now().Before(deadline) {
			return ErrBusy
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	renewCtx, stopRenew := context.WithCancel(context.WithoutCancel(ctx))
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		s.renewLease(renewCtx, jobID, owner, ttl)
	}()
	defer func() {
		stopRenew()
		<-renewed
		if err := s.Store.ReleaseJob(context.WithoutCancel(ctx), jobID, owner); err != nil {
			s.log().WarnContext(ctx, "release job lease", "job", jobID, "err", err)
		}
	}()
	return fn(ctx)
}

func (s *Service) leaseTTL() time.Duration {
	if s.LeaseTTL > 0 {
		return s.LeaseTTL
	}
	return DefaultLeaseTTL
}

// renewLease extends the lease every third of its TTL until ctx ends.
func (s *Service) renewLease(ctx context.Context, jobID int64, owner string, ttl time.Duration) {
	// A condition that never holds: the poll is a ticker that stops with ctx.
	_ = wait.PollUntilContextCancel(ctx, ttl/3, false, func(ctx context.Context) (bool, error) {
		if ok, err := s.Store.ClaimJob(ctx, jobID, owner, ttl); err != nil || !ok {
			s.log().WarnContext(ctx, "renew job lease", "job", jobID, "held", ok, "err", err)
		}
		return false, nil
	})
}
