package jobs

import (
	"errors"
	"math/rand/v2"
	"time"

	"github.com/hibiken/asynq"

	"github.com/githedgehog/fgd-sync/fgderr"
)

// Backoff bounds.
const (
	retryBase = 2 * time.Second
	retryMax  = 5 * time.Minute
)

// RetryDelay is the asynq RetryDelayFunc: exponential backoff with full
// jitter, never earlier than a rate limit's reset, and a short wait for a
// fabric lock.
func RetryDelay(n int, err error, _ *asynq.Task) time.Duration {
	if errors.Is(err, ErrWaitingForLock) || errors.Is(err, asynq.ErrLeaseExpired) {
		// A lease-expired task's worker died; the lease already made it
		// wait 30 s or more, so it runs again at once.
		return time.Second + rand.N(time.Second)
	}
	backoff := retryBase << min(n, 10)
	if backoff > retryMax || backoff <= 0 {
		backoff = retryMax
	}
	delay := backoff/2 + rand.N(backoff/2+1)
	if _, after := fgderr.IsTransient(err); after > 0 {
		// Honour the reset, with a little jitter so that many tasks do not
		// wake at the same instant.
		delay = after + rand.N(time.Second/2+1)
	}
	return delay
}

// IsFailure tells asynq which errors count as a failed attempt: waiting for
// another sync of the fabric does not, and neither does a worker that died
// holding the task (its lease expired), so a crash never uses up a retry
// and never archives a task whose record would then stay unfinished.
func IsFailure(err error) bool {
	return !errors.Is(err, ErrWaitingForLock) && !errors.Is(err, asynq.ErrLeaseExpired)
}
