package app

import (
	"context"
	"errors"
	"net"
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
