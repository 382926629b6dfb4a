package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/githedgehog/fgd-sync/fgderr"
)

// LockStore is the per-fabric sync lock in Redis: a lease with an owner and
// a time to live.
type LockStore interface {
	TryLock(ctx context.Context, fabric, owner string, ttl time.Duration) (bool, string, error)
	RenewLock(ctx context.Context, fabric, owner string, ttl time.Duration) (bool, error)
	Unlock(ctx context.Context, fabric, owner string) error
}

// ErrWaitingForLock means another sync of the fabric runs: the task is
// retried shortly, and the wait does not count as a failed attempt.
var ErrWaitingForLock = errors.New("another sync of this fabric is running")

// lease is a sync's hold on its fabric's lock: taken once, renewed in the
// background while the sync runs, released at the end.
type lease struct {
	store  LockStore
	log    *slog.Logger
	fabric string
	owner  string
	ttl    time.Duration

	lostOnce sync.Once
	lostCh   chan struct{}
}

// acquire takes the fabric's lock for the sync. When another sync holds
// it, the lease is nil and holder names the other owner.
func (h *SyncHandler) acquire(ctx context.Context, log *slog.Logger, fabric, syncID string) (l *lease, holder string, err error) {
	owner := syncID + "/" + randomToken()
	got, holder, err := h.Store.TryLock(ctx, fabric, owner, h.lockTTL())
	if err != nil {
		return nil, "", fgderr.Retryable(fgderr.Redis, "take the fabric lock", err)
	}
	if !got {
		return nil, holder, nil
	}
	return &lease{store: h.Store, log: log, fabric: fabric, owner: owner, ttl: h.lockTTL(), lostCh: make(chan struct{})}, owner, nil
}

// keep renews the lease until ctx ends; losing it cancels the sync.
func (l *lease) keep(ctx context.Context, cancel context.CancelFunc) {
	go func() {
		tick := time.NewTicker(l.ttl / 3)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				ok, err := l.store.RenewLock(ctx, l.fabric, l.owner, l.ttl)
				if err == nil && !ok {
					l.log.Error("the fabric lock was lost; stopping the sync")
					l.markLost()
					cancel()
					return
				}
				if err != nil {
					l.log.Warn("could not renew the fabric lock", "error", err)
				}
			}
		}
	}()
}

func (l *lease) markLost() { l.lostOnce.Do(func() { close(l.lostCh) }) }

// lost tells whether the lease was lost while the sync ran.
func (l *lease) lost() bool {
	select {
	case <-l.lostCh:
		return true
	default:
		return false
	}
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
