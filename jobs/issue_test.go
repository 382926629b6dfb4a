package jobs

import (
	"errors"
	"fmt"
	"testing"

	"github.com/githedgehog/fgd-sync/fgderr"
)

// TestIssueOf: a failure becomes a record entry with its own code, whether
// it is transient or permanent, and the cause stays in the message.
func TestIssueOf(t *testing.T) {
	tests := []struct {
		name string
		err  error
		code fgderr.Code
		msg  string
	}{
		{"transient with cause", fgderr.Retryable(fgderr.Redis, "write sync record", errors.New("connection refused")), fgderr.Redis, "write sync record: connection refused"},
		{"wrapped transient", fmt.Errorf("set status: %w", &fgderr.Error{Code: fgderr.GitHubRateLimit, Msg: "rate limit", Transient: true}), fgderr.GitHubRateLimit, "rate limit"},
		{"permanent", fgderr.New(fgderr.GitHubAuth, "refused"), fgderr.GitHubAuth, "refused"},
		{"uncoded", errors.New("odd"), fgderr.SyncFailed, "odd"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := issueOf(tc.err)
			if got.Code != tc.code || got.Message != tc.msg {
				t.Fatalf("issueOf = %s %q, want %s %q", got.Code, got.Message, tc.code, tc.msg)
			}
		})
	}
}
