package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/githedgehog/fgd-sync/fgderr"
	"github.com/githedgehog/fgd-sync/store"
)

// LockStore is the per-fabric sync lock in Redis: a lease with an owner and
// a time to live, and the fencing check before a push.
type LockStore interface {
	TryLock(ctx context.Context, fabric, owner string, ttl time.Duration) (bool, string, error)
	RenewLock(ctx context.Context, fabric, owner string, ttl time.Duration) (bool, error)
	// Fence checks that owner still holds the lock, renews it and returns
	// the next fencing token, in one round trip; store.ErrNotLockHolder
	// when owner lost it.
	Fence(ctx context.Context, fabric, owner string, ttl time.Duration) (int64, error)
	Unlock(ctx context.Context, fabric, owner string) error
}

// ErrWaitingForLock means another sync of the fabric runs: the task is
// retried shortly, and the wait does not count as a failed attempt.
var ErrWaitingForLock = errors.New("another sync of this fabric is running")

// lease is a sync's hold on its fabric's lock: taken once, renewed in the
// background while the sync runs, checked with a fencing token before each
// push, released at the end. A lease is lost when Redis says another owner
// has the lock, or when renewals have failed for longer than the lease
// lasts: by then Redis has let it expire, whatever this worker can see.
type lease struct {
	store  LockStore
	log    *slog.Logger
	fabric string
	owner  string
	ttl    time.Duration

	mu        sync.Mutex
	renewedAt time.Time // the last time Redis confirmed the lease
	lostWhy   string    // why the lease was lost; "" while it holds
}

// acquire takes the fabric's lock for the sync. When another sync holds
// it, the lease is nil and holder names the other owner.
func (h *SyncHandler) acquire(ctx context.Context, log *slog.Logger, fabric, syncID string) (l *lease, holder string, err error) {
	owner := syncID + "/" + randomToken()
	taken := time.Now()
	got, holder, err := h.Store.TryLock(ctx, fabric, owner, h.lockTTL())
	if err != nil {
		return nil, "", fgderr.Retryable(fgderr.Redis, "take the fabric lock", err)
	}
	if !got {
		return nil, holder, nil
	}
	return &lease{store: h.Store, log: log, fabric: fabric, owner: owner, ttl: h.lockTTL(), renewedAt: taken}, owner, nil
}

// keep renews the lease every third of its life until ctx ends; losing it
// cancels the sync.
func (l *lease) keep(ctx context.Context, cancel context.CancelFunc) {
	go func() {
		tick := time.NewTicker(l.ttl / 3)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				if why := l.renew(ctx); why != "" {
					l.log.Error("the fabric lock was lost; stopping the sync", "reason", why)
					cancel()
					return
				}
			}
		}
	}()
}

// renew extends the lease once; it answers why the lease is lost, or "".
func (l *lease) renew(ctx context.Context) string {
	asked := time.Now()
	ok, err := l.store.RenewLock(ctx, l.fabric, l.owner, l.ttl)
	switch {
	case err == nil && ok:
		l.confirmed(asked)
	case err == nil:
		l.markLost("another sync holds the fabric lock now")
	default:
		l.log.Warn("could not renew the fabric lock", "error", err)
		l.expireIfStale()
	}
	return l.lost()
}

// confirmed notes that Redis confirmed the lease for a full ttl from asked.
func (l *lease) confirmed(asked time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if asked.After(l.renewedAt) {
		l.renewedAt = asked
	}
}

// expireIfStale marks the lease lost when it has not been confirmed for
// longer than it lasts.
func (l *lease) expireIfStale() {
	l.mu.Lock()
	stale := time.Since(l.renewedAt)
	l.mu.Unlock()
	if stale > l.ttl {
		l.markLost(fmt.Sprintf("the lease was not renewed for %s, longer than it lasts (%s)", stale.Round(time.Millisecond), l.ttl))
	}
}

func (l *lease) markLost(why string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lostWhy == "" {
		l.lostWhy = why
	}
}

// lost says why the lease was lost, or "" while it holds.
func (l *lease) lost() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lostWhy
}

// fence is the last check before a push: the lease still holds, and Redis
// confirms it while handing out the fabric's next fencing token, which the
// sync records. A sync that fails it must not push.
func (l *lease) fence(ctx context.Context) (int64, error) {
	l.expireIfStale()
	if why := l.lost(); why != "" {
		return 0, errLockLost(why, nil)
	}
	asked := time.Now()
	token, err := l.store.Fence(ctx, l.fabric, l.owner, l.ttl)
	if errors.Is(err, store.ErrNotLockHolder) {
		l.markLost("the lease ran out and the lock is no longer this sync's")
		return 0, errLockLost(l.lost(), nil)
	}
	if err != nil {
		return 0, fgderr.Retryable(fgderr.Redis, "fence the push: nothing was pushed", err)
	}
	l.confirmed(asked)
	return token, nil
}

// errLockLost is the retryable error of a sync that lost its lease.
func errLockLost(why string, cause error) error {
	return fgderr.Retryable(fgderr.SyncFailed, "lost the fabric lock ("+why+"); nothing was pushed after that", cause)
}

// release gives the lock back, if the sync still holds it.
func (l *lease) release(ctx context.Context) {
	// A fresh context: the sync's may be done, the lock must still go.
	uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := l.store.Unlock(uctx, l.fabric, l.owner); err != nil {
		l.log.Warn("could not release the fabric lock; it expires by itself", "error", err)
	}
}

func randomToken() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
