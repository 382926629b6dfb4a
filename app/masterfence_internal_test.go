package app

import (
	"errors"
	"testing"
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
