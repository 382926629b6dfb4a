package app

import (
	"context"
	"errors"
	"net"
	"slices"
	"testing"

	"github.com/redis/go-redis/v9"
)

// TestForkedFrom: the written node must be a master, and no other master
// may have been promoted from its replicas; older lineages do not matter.
func TestForkedFrom(t *testing.T) {
	const w, other = "10.0.0.1:6379", "10.0.0.2:6379"
	tests := []struct {
		name    string
		masters map[string]lineage
		ok      bool
	}{
		{"the only master", map[string]lineage{w: {"A", "0"}}, true},
		{"not a master any more", map[string]lineage{other: {"B", "A"}}, false},
		{"no master answered", map[string]lineage{}, false},
		{"a replica promoted from it", map[string]lineage{w: {"A", "0"}, other: {"B", "A"}}, false},
		{"its own predecessor, not yet demoted", map[string]lineage{w: {"B", "A"}, other: {"A", "0"}}, true},
		{"an older lineage's master, not yet demoted", map[string]lineage{w: {"C", "B"}, other: {"A", "0"}}, true},
		{"two masters of one lineage", map[string]lineage{w: {"A", "0"}, other: {"A", "0"}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := forkedFrom(w, tc.masters)
			if (err == nil) != tc.ok {
				t.Fatalf("forkedFrom: %v, want ok=%v", err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrFailoverUnderWay) {
				t.Fatalf("error %v is not ErrFailoverUnderWay", err)
			}
		})
	}
}

// TestMasterLineageOfAStoppedNode: a node where nothing listens answers "not
// a master" (it takes no writes and cannot be promoted while down); a node
// that is there but does not answer fails the round.
func TestMasterLineageOfAStoppedNode(t *testing.T) {
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	stoppedAddr := closed.Addr().String()
	_ = closed.Close()
	silent, err := net.Listen("tcp", "127.0.0.1:0") // accepts, never answers
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()

	f := newMasterFence(&redis.UniversalOptions{MasterName: "m"})
	defer f.Close()
	tests := []struct {
		name    string
		addr    string
		wantErr bool
	}{
		{"nothing listens", stoppedAddr, false},
		{"listens, never answers", silent.Addr().String(), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := f.masterLineage(context.Background(), tc.addr)
			if m != nil || (err != nil) != tc.wantErr {
				t.Fatalf("masterLineage: %+v %v, want an error: %v", m, err, tc.wantErr)
			}
		})
	}
}

// TestJoinViews: the fence probes every node any Sentinel names, except a
// replica that a majority of the Sentinels hold down.
func TestJoinViews(t *testing.T) {
	const m, a, b = "10.0.0.1:6379", "10.0.0.2:6379", "10.0.0.3:6379"
	view := func(down ...string) sentinelView {
		v := sentinelView{nodes: []string{m, a, b}, down: map[string]bool{}}
		for _, d := range down {
			v.down[d] = true
		}
		return v
	}
	failed := sentinelView{err: errors.New("i/o timeout")}
	tests := []struct {
		name    string
		views   []sentinelView
		want    []string
		wantErr bool
	}{
		{"all agree, none down", []sentinelView{view(), view(), view()}, []string{m, a, b}, false},
		{"one Sentinel holds a replica down", []sentinelView{view(a), view(), view()}, []string{m, a, b}, false},
		{"a majority holds it down", []sentinelView{view(a), view(a), view()}, []string{m, b}, false},
		{"one Sentinel alone, holding it down, is no majority", []sentinelView{view(a), failed, failed}, []string{m, a, b}, false},
		{"a node only one Sentinel knows", []sentinelView{{nodes: []string{m, a}}, {nodes: []string{m, b}}, failed}, []string{m, a, b}, false},
		{"no Sentinel answers", []sentinelView{failed, failed, failed}, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := joinViews(tc.views, 2)
			if (err != nil) != tc.wantErr || !slices.Equal(got, tc.want) {
				t.Fatalf("joinViews: %v %v, want %v (error: %v)", got, err, tc.want, tc.wantErr)
			}
		})
	}
}
