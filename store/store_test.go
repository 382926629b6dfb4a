package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
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

// TestFollowUp: triggers join one pending follow-up, which remembers whom
// it covers and whether any of them asked to write, and only the follow-up
// itself takes it.
func TestFollowUp(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	tests := []struct {
		name       string
		triggers   []string // sync ids, "!" suffix: validate_only
		wantCovers []string
		wantWrites bool
	}{
		{"one validate-only trigger", []string{"m1!"}, []string{"m1"}, false},
		{"validate-only then a webhook", []string{"m1!", "w1"}, []string{"m1", "w1"}, true},
		{"a webhook then validate-only", []string{"w1", "m1!"}, []string{"w1", "m1"}, true},
		{"a trigger retried", []string{"w1", "w1", "w2"}, []string{"w1", "w2"}, true},
		{"the follow-up itself", []string{"m1!", "f1"}, []string{"m1"}, false},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fabric := fmt.Sprintf("dc%d", i)
			var got *FollowUp
			for n, trig := range tc.triggers {
				id, validateOnly := strings.CutSuffix(trig, "!")
				var err error
				got, err = s.AddFollowUp(ctx, fabric, "f1", []byte(fmt.Sprintf("payload-%d", n)), id, !validateOnly)
				if err != nil {
					t.Fatal(err)
				}
			}
			if got.ID != "f1" || string(got.Payload) != "payload-0" || got.Writes != tc.wantWrites || strings.Join(got.Covers, ",") != strings.Join(tc.wantCovers, ",") {
				t.Fatalf("pending %+v, want covers %v writes %v and the first payload", got, tc.wantCovers, tc.wantWrites)
			}
			if other, err := s.TakeFollowUp(ctx, fabric, "someone-else"); err != nil || other != nil {
				t.Fatalf("another sync took the follow-up: %+v %v", other, err)
			}
			taken, err := s.TakeFollowUp(ctx, fabric, "f1")
			if err != nil || taken == nil || taken.Writes != tc.wantWrites || strings.Join(taken.Covers, ",") != strings.Join(tc.wantCovers, ",") {
				t.Fatalf("take: %+v %v", taken, err)
			}
			if again, err := s.TakeFollowUp(ctx, fabric, "f1"); err != nil || again != nil {
				t.Fatalf("taken twice: %+v %v", again, err)
			}
			next, err := s.AddFollowUp(ctx, fabric, "f2", []byte("next"), "w9", false)
			if err != nil || next.ID != "f2" || strings.Join(next.Covers, ",") != "w9" || next.Writes {
				t.Fatalf("after take, a new follow-up: %+v %v", next, err)
			}
			if err := s.DropFabric(ctx, fabric); err != nil {
				t.Fatal(err)
			}
			if gone, _ := s.TakeFollowUp(ctx, fabric, "f2"); gone != nil {
				t.Fatalf("DropFabric left the follow-up: %+v", gone)
			}
		})
	}
}

// TestFence: only the lock holder gets a token; tokens grow and renew the
// lease.
func TestFence(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	if _, err := s.Fence(ctx, "dc1", "a", time.Minute); !errors.Is(err, ErrNotLockHolder) {
		t.Fatalf("fence without a lock: %v", err)
	}
	if got, _, _ := s.TryLock(ctx, "dc1", "a", 200*time.Millisecond); !got {
		t.Fatal("lock")
	}
	first, err := s.Fence(ctx, "dc1", "a", time.Hour)
	if err != nil || first < 1 {
		t.Fatalf("first token %d %v", first, err)
	}
	if ttl := s.rdb.PTTL(ctx, s.lockKey("dc1")).Val(); ttl < 59*time.Minute {
		t.Fatalf("the fence did not renew the lease: ttl %s", ttl)
	}
	if _, err := s.Fence(ctx, "dc1", "b", time.Minute); !errors.Is(err, ErrNotLockHolder) {
		t.Fatalf("a non-holder was fenced in: %v", err)
	}
	second, err := s.Fence(ctx, "dc1", "a", time.Hour)
	if err != nil || second <= first {
		t.Fatalf("tokens must grow: %d then %d (%v)", first, second, err)
	}
	// The lease runs out and another owner takes the lock.
	if err := s.Unlock(ctx, "dc1", "a"); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := s.TryLock(ctx, "dc1", "b", time.Minute); !got {
		t.Fatal("relock")
	}
	if _, err := s.Fence(ctx, "dc1", "a", time.Minute); !errors.Is(err, ErrNotLockHolder) {
		t.Fatalf("the former holder was fenced in: %v", err)
	}
	third, err := s.Fence(ctx, "dc1", "b", time.Minute)
	if err != nil || third <= second {
		t.Fatalf("the new holder's token %d must exceed %d (%v)", third, second, err)
	}
	if err := s.DropFabric(ctx, "dc1"); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := s.TryLock(ctx, "dc1", "c", time.Minute); !got {
		t.Fatal("lock after drop")
	}
	if fourth, err := s.Fence(ctx, "dc1", "c", time.Minute); err != nil || fourth <= third {
		t.Fatalf("a re-created fabric reused token %d after %d (%v)", fourth, third, err)
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

// TestRecordSuccessIsSticky: a later write replaces a record, except over
// one that succeeded, which only another success replaces (two runs of one
// task, across a failover); the refused write answers ErrRecordFinal.
func TestRecordSuccessIsSticky(t *testing.T) {
	tests := []struct {
		first, then, want string
		refused           bool
	}{
		{StateQueued, StateRunning, StateRunning, false},
		{StateRunning, StateRetrying, StateRetrying, false},
		{StateRetrying, StateSucceeded, StateSucceeded, false},
		{StateSucceeded, StateRetrying, StateSucceeded, true},
		{StateSucceeded, StateRunning, StateSucceeded, true},
		{StateSucceeded, StateFailed, StateSucceeded, true},
		{StatePartial, StateQueued, StatePartial, true},
		{StatePartial, StateSucceeded, StateSucceeded, false},
		{StateFailed, StateRunning, StateRunning, false},
		{StateFailed, StateSucceeded, StateSucceeded, false},
	}
	s := newStore(t)
	ctx := context.Background()
	for i, tc := range tests {
		t.Run(tc.first+" then "+tc.then, func(t *testing.T) {
			id := fmt.Sprintf("sticky-%d", i)
			if err := s.PutRecord(ctx, &Record{ID: id, Fabric: "dc1", State: tc.first, CreatedAt: time.Now()}); err != nil {
				t.Fatal(err)
			}
			err := s.PutRecord(ctx, &Record{ID: id, Fabric: "dc1", State: tc.then, CreatedAt: time.Now()})
			if errors.Is(err, ErrRecordFinal) != tc.refused || (err != nil && !errors.Is(err, ErrRecordFinal)) {
				t.Fatalf("second write: %v, want refused: %v", err, tc.refused)
			}
			r, err := s.GetRecord(ctx, id)
			if err != nil || r.State != tc.want {
				t.Fatalf("record %+v %v, want state %s", r, err, tc.want)
			}
		})
	}
}

// TestClaimOnce: the first claim of a key wins until its time runs out.
func TestClaimOnce(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	for i, want := range []bool{true, false, false} {
		got, err := s.ClaimOnce(ctx, "rescue:task-1", time.Minute)
		if err != nil || got != want {
			t.Fatalf("claim %d: %v %v, want %v", i, got, err, want)
		}
	}
	if got, err := s.ClaimOnce(ctx, "rescue:task-2", time.Minute); err != nil || !got {
		t.Fatalf("another key: %v %v", got, err)
	}
}
