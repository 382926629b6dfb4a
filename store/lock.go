package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrNotLockHolder is a fencing request from an owner that no longer holds
// the fabric's lock: its lease ran out, and maybe another sync took it.
var ErrNotLockHolder = errors.New("the fabric lock is not held by this owner")

func (s *Store) lockKey(fabric string) string  { return s.prefix + "lock:" + fabric }
func (s *Store) fenceKey(fabric string) string { return s.prefix + "fence:" + fabric }

// Lua scripts: each one is atomic in Redis.
var (
	renewScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("PEXPIRE", KEYS[1], ARGV[2])
end
return 0`)
	releaseScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("DEL", KEYS[1])
end
return 0`)
	// Checks the owner, renews its lease and takes the next token: a
	// token is only ever handed to the holder of a live lease.
	fenceScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) ~= ARGV[1] then
  return 0
end
redis.call("PEXPIRE", KEYS[1], ARGV[2])
return redis.call("INCR", KEYS[2])`)
)

// TryLock takes a fabric's sync lock for owner for ttl. It answers whether
// it got it, and the current holder when it did not.
func (s *Store) TryLock(ctx context.Context, fabric, owner string, ttl time.Duration) (bool, string, error) {
	ok, err := s.rdb.SetNX(ctx, s.lockKey(fabric), owner, ttl).Result()
	if err != nil {
		return false, "", fmt.Errorf("lock %s: %w", fabric, err)
	}
	if ok {
		return true, owner, nil
	}
	holder, err := s.rdb.Get(ctx, s.lockKey(fabric)).Result()
	if errors.Is(err, redis.Nil) {
		return false, "", nil // released just now; the caller tries again
	}
	return false, holder, err
}

// RenewLock extends owner's lock; false when owner no longer holds it.
func (s *Store) RenewLock(ctx context.Context, fabric, owner string, ttl time.Duration) (bool, error) {
	n, err := renewScript.Run(ctx, s.rdb, []string{s.lockKey(fabric)}, owner, ttl.Milliseconds()).Int()
	return n == 1, err
}

// Fence is the check right before a sync writes to the remote: in one
// round trip it confirms that owner still holds the fabric's lock, renews
// the lease for ttl, and returns the fabric's next fencing token (1, 2, …,
// never reused, also across a delete and re-create of the fabric). An owner
// that lost the lock gets ErrNotLockHolder.
func (s *Store) Fence(ctx context.Context, fabric, owner string, ttl time.Duration) (int64, error) {
	token, err := fenceScript.Run(ctx, s.rdb, []string{s.lockKey(fabric), s.fenceKey(fabric)}, owner, ttl.Milliseconds()).Int64()
	if err != nil {
		return 0, fmt.Errorf("fence %s: %w", fabric, err)
	}
	if token == 0 {
		return 0, ErrNotLockHolder
	}
	return token, nil
}

// Unlock releases owner's lock, if owner still holds it.
func (s *Store) Unlock(ctx context.Context, fabric, owner string) error {
	return releaseScript.Run(ctx, s.rdb, []string{s.lockKey(fabric)}, owner).Err()
}

// LockHolder returns who holds a fabric's lock, or "".
func (s *Store) LockHolder(ctx context.Context, fabric string) (string, error) {
	v, err := s.rdb.Get(ctx, s.lockKey(fabric)).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	return v, err
}
