package jobs

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/githedgehog/fgd-sync/fgderr"
)

func TestRetryDelay(t *testing.T) {
	plain := errors.New("boom")
	for n := 0; n < 12; n++ {
		d := RetryDelay(n, plain, nil)
		max := retryBase << min(n, 10)
		if max > retryMax {
			max = retryMax
		}
		if d < max/2 || d > max {
			t.Fatalf("attempt %d: delay %s outside [%s, %s]", n, d, max/2, max)
		}
	}
	rl := fmt.Errorf("set status: %w", &fgderr.Error{Code: fgderr.GitHubRateLimit, Transient: true, RetryAfter: 90 * time.Second})
	if d := RetryDelay(0, rl, nil); d < 90*time.Second || d > 91*time.Second {
		t.Fatalf("rate limit: %s, want the reset plus a little jitter", d)
	}
	if d := RetryDelay(5, ErrWaitingForLock, nil); d > 2*time.Second {
		t.Fatalf("waiting for the lock: %s", d)
	}
	if d := RetryDelay(7, asynq.ErrLeaseExpired, nil); d > 2*time.Second {
		t.Fatalf("a dead worker's task: %s, want it again at once", d)
	}
	for _, tc := range []struct {
		err     error
		failure bool
	}{
		{plain, true},
		{ErrWaitingForLock, false},
		{asynq.ErrLeaseExpired, false},
		{fmt.Errorf("wrapped: %w", asynq.ErrLeaseExpired), false},
	} {
		if IsFailure(tc.err) != tc.failure {
			t.Fatalf("IsFailure(%v) = %v, want %v", tc.err, !tc.failure, tc.failure)
		}
	}
}
