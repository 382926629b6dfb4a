package store

import (
	"context"
	"testing"
	"time"
)

// TestAnnouncePullRequestHead: the newest change of a pull request wins,
// whatever order its deliveries arrive in; pull requests and fabrics are
// apart.
func TestAnnouncePullRequestHead(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	head := func(sha string, updated, received time.Duration) PullRequestHead {
		return PullRequestHead{SHA: sha, SyncID: "sync-" + sha, UpdatedAt: t0.Add(updated), ReceivedAt: t0.Add(received)}
	}
	steps := []struct {
		name   string
		fabric string
		number int
		head   PullRequestHead
		newest string
	}{
		{"first head", "dc1", 7, head("a", 0, time.Second), "a"},
		{"a newer change", "dc1", 7, head("b", 10*time.Second, 11*time.Second), "b"},
		{"an older change arriving late", "dc1", 7, head("old", 5*time.Second, 20*time.Second), "b"},
		{"the same head again", "dc1", 7, head("b", 10*time.Second, 11*time.Second), "b"},
		{"same second, later arrival", "dc1", 7, head("c", 10*time.Second, 12*time.Second), "c"},
		{"another pull request", "dc1", 8, head("x", 0, 0), "x"},
		{"another fabric", "dc2", 7, head("y", 0, 0), "y"},
		{"the first pull request kept its head", "dc1", 7, head("a", 0, time.Second), "c"},
	}
	for _, st := range steps {
		got, err := s.AnnouncePullRequestHead(ctx, st.fabric, st.number, st.head)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got.SHA != st.newest || got.SyncID != "sync-"+st.newest {
			t.Fatalf("%s: newest %+v, want %s", st.name, got, st.newest)
		}
	}
}
