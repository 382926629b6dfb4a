package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/githedgehog/fgd-sync/internal/testredis"
	"github.com/githedgehog/fgd-sync/redisconn"
)

func newStore(t *testing.T) *Store {
	t.Helper()
	rs := testredis.New(t)
	rdb, err := redisconn.Open(rs.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	return New(rdb, testredis.Unique("store")+":")
}

func TestLock(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	got, _, err := s.TryLock(ctx, "dc1", "a", time.Minute)
	if err != nil || !got {
		t.Fatalf("first lock: %v %v", got, err)
	}
	got, holder, err := s.TryLock(ctx, "dc1", "b", time.Minute)
	if err != nil || got || holder != "a" {
		t.Fatalf("second lock: got=%v holder=%q %v", got, holder, err)
	}
	if ok, _ := s.RenewLock(ctx, "dc1", "b", time.Minute); ok {
		t.Fatal("a non-holder renewed the lock")
	}
	if err := s.Unlock(ctx, "dc1", "b"); err != nil {
		t.Fatal(err)
	}
	if h, _ := s.LockHolder(ctx, "dc1"); h != "a" {
		t.Fatalf("a non-holder released the lock: holder %q", h)
	}
	if ok, _ := s.RenewLock(ctx, "dc1", "a", time.Minute); !ok {
		t.Fatal("the holder could not renew")
	}
	if err := s.Unlock(ctx, "dc1", "a"); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := s.TryLock(ctx, "dc1", "b", time.Minute); !got {
		t.Fatal("the lock was not free after release")
	}
	// Other fabrics are independent.
	if got, _, _ := s.TryLock(ctx, "dc2", "c", time.Minute); !got {
		t.Fatal("dc2 blocked by dc1")
	}
}

func TestLockExpires(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	if got, _, _ := s.TryLock(ctx, "dc1", "dead", 100*time.Millisecond); !got {
		t.Fatal("lock")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if got, _, _ := s.TryLock(ctx, "dc1", "alive", time.Minute); got {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("a dead holder's lease never ran out")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestFollowUp(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	first, err := s.AddFollowUp(ctx, "dc1", []byte("one"))
	if err != nil || string(first) != "one" {
		t.Fatalf("first: %q %v", first, err)
	}
	second, _ := s.AddFollowUp(ctx, "dc1", []byte("two"))
	if string(second) != "one" {
		t.Fatalf("triggers must coalesce into the pending follow-up, got %q", second)
	}
	taken, _ := s.TakeFollowUp(ctx, "dc1")
	if string(taken) != "one" {
		t.Fatalf("take: %q", taken)
	}
	if again, _ := s.TakeFollowUp(ctx, "dc1"); again != nil {
		t.Fatalf("taken twice: %q", again)
	}
	if next, _ := s.AddFollowUp(ctx, "dc1", []byte("three")); string(next) != "three" {
		t.Fatalf("after take: %q", next)
	}
}

func TestRecords(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	base := time.Now().UTC().Add(-time.Hour)
	for i, id := range []string{"s1", "s2", "s3"} {
		if err := s.PutRecord(ctx, &Record{ID: id, Fabric: "dc1", State: StateSucceeded, CreatedAt: base.Add(time.Duration(i) * time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	r, err := s.GetRecord(ctx, "s2")
	if err != nil || r.ID != "s2" || r.State != StateSucceeded {
		t.Fatalf("get: %+v %v", r, err)
	}
	if _, err := s.GetRecord(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
	list, err := s.ListRecords(ctx, "dc1", 2)
	if err != nil || len(list) != 2 || list[0].ID != "s3" || list[1].ID != "s2" {
		t.Fatalf("list: %+v %v", list, err)
	}
	ttl := s.rdb.TTL(ctx, s.recordKey("s1")).Val()
	if ttl < RecordTTL-time.Minute || ttl > RecordTTL {
		t.Fatalf("record TTL %s, want 30 days", ttl)
	}
}
