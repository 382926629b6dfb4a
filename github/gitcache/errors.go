package gitcache

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"

	"github.com/githedgehog/fgd-sync/fgderr"
)

// ErrPushRejected is the remote refusing a push because the branch moved
// (non-fast-forward). go-git has no typed error for it.
var ErrPushRejected = errors.New("push rejected: the remote branch moved")

// pushRejectedMarkers are the texts go-git and git receive-pack use for a
// push refused because the remote ref moved.
var pushRejectedMarkers = []string{"non-fast-forward", "fetch first", "failed to update ref", "cannot lock ref", "failed to lock", "stale info"}

// classifyGit turns a go-git error into a typed error whose text is
// redacted: transient (an *fgderr.Error with Transient set), a rejected push
// (ErrPushRejected), or permanent (an *fgderr.Error).
func classifyGit(err error, what string, secrets ...string) error {
	if err == nil {
		return nil
	}
	red := fgderr.Redact(err.Error(), secrets...)
	msg := what + ": " + red
	var herr *githttp.Err
	var netErr net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return fgderr.Retryable(fgderr.SyncTimeout, msg, nil)
	case errors.Is(err, context.Canceled):
		return &fgderr.Error{Code: fgderr.SyncCancelled, Msg: msg}
	case errors.Is(err, transport.ErrAuthenticationRequired), errors.Is(err, transport.ErrAuthorizationFailed):
		return &fgderr.Error{Code: fgderr.GitHubAuth, Msg: what + ": the git server refused the credentials; check HEDGEHOG_FGD_GITHUB_TOKEN or the App's access to the repository"}
	case errors.Is(err, transport.ErrRepositoryNotFound):
		return &fgderr.Error{Code: fgderr.GitHubNotFound, Msg: what + ": repository not found (or not visible to the token)"}
	case errors.Is(err, transport.ErrEmptyRemoteRepository):
		return &fgderr.Error{Code: fgderr.GitHubNotFound, Msg: what + ": the repository is empty; push a first commit to the branch"}
	case errors.As(err, &herr) && herr.Response != nil && (herr.Response.StatusCode >= 500 || herr.Response.StatusCode == 429):
		return fgderr.Retryable(fgderr.GitHubConnection, fmt.Sprintf("%s: git server answered %d", what, herr.Response.StatusCode), nil)
	case errors.As(err, &netErr):
		return fgderr.Retryable(fgderr.GitHubConnection, msg, nil)
	}
	for _, m := range pushRejectedMarkers {
		if strings.Contains(red, m) {
			return fmt.Errorf("%s: %w", what, ErrPushRejected)
		}
	}
	if strings.Contains(red, "couldn't find remote ref") || strings.Contains(red, "reference not found") {
		return &fgderr.Error{Code: fgderr.GitHubNotFound, Msg: what + ": the branch does not exist on the remote"}
	}
	if strings.Contains(red, "status code: 5") || strings.Contains(red, "connection reset") || strings.Contains(red, "EOF") {
		return fgderr.Retryable(fgderr.GitHubConnection, msg, nil)
	}
	return &fgderr.Error{Code: fgderr.SyncFailed, Msg: msg}
}
