package github

import (
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"

	"github.com/githedgehog/fgd-sync/fgderr"
)

// TransientError is a failure worth retrying: the network, a 5xx, a rate
// limit. RetryAfter, when set, is the earliest a retry can succeed.
type TransientError struct {
	Code       fgderr.Code
	Msg        string
	RetryAfter time.Duration
	Err        error
}

func (e *TransientError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Msg, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Msg)
}

func (e *TransientError) Unwrap() error { return e.Err }

// ErrPushRejected is the remote refusing a push because the branch moved
// (non-fast-forward). go-git has no typed error for it.
var ErrPushRejected = errors.New("push rejected: the remote branch moved")

// pushRejectedMarkers are the texts go-git and git receive-pack use for a
// push refused because the remote ref moved.
var pushRejectedMarkers = []string{"non-fast-forward", "fetch first", "failed to update ref", "cannot lock ref", "failed to lock", "stale info"}

// classifyGit turns a go-git error into a typed, redacted error: transient
// (*TransientError), a rejected push (ErrPushRejected), or permanent
// (*fgderr.Error with its FGD code).
func classifyGit(err error, what string, secrets ...string) error {
	if err == nil {
		return nil
	}
	red := Redact(err.Error(), secrets...)
	msg := what + ": " + red
	var herr *githttp.Err
	var netErr net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return &TransientError{Code: fgderr.SyncTimeout, Msg: msg}
	case errors.Is(err, context.Canceled):
		return &fgderr.Error{Code: fgderr.SyncCancelled, Msg: msg}
	case errors.Is(err, transport.ErrAuthenticationRequired), errors.Is(err, transport.ErrAuthorizationFailed):
		return &fgderr.Error{Code: fgderr.GitHubAuth, Msg: what + ": the git server refused the credentials; check HEDGEHOG_FGD_GITHUB_TOKEN or the App's access to the repository"}
	case errors.Is(err, transport.ErrRepositoryNotFound):
		return &fgderr.Error{Code: fgderr.GitHubNotFound, Msg: what + ": repository not found (or not visible to the token)"}
	case errors.Is(err, transport.ErrEmptyRemoteRepository):
		return &fgderr.Error{Code: fgderr.GitHubNotFound, Msg: what + ": the repository is empty; push a first commit to the branch"}
	case errors.As(err, &herr) && herr.Response != nil && (herr.Response.StatusCode >= 500 || herr.Response.StatusCode == 429):
		return &TransientError{Code: fgderr.GitHubConnection, Msg: fmt.Sprintf("%s: git server answered %d", what, herr.Response.StatusCode)}
	case errors.As(err, &netErr):
		return &TransientError{Code: fgderr.GitHubConnection, Msg: msg}
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
		return &TransientError{Code: fgderr.GitHubConnection, Msg: msg}
	}
	return &fgderr.Error{Code: fgderr.SyncFailed, Msg: msg}
}

var userinfoInURL = regexp.MustCompile(`(://)[^/@\s]+@`)

// Redact removes credentials from text that may hold them: userinfo in URLs
// and the given secret values. Git's error output can contain either.
func Redact(s string, secrets ...string) string {
	s = userinfoInURL.ReplaceAllString(s, "${1}[redacted]@")
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	return s
}

// IsTransient reports whether err is worth retrying, and after how long at
// the least (0 when any backoff will do).
func IsTransient(err error) (bool, time.Duration) {
	var te *TransientError
	if errors.As(err, &te) {
		return true, te.RetryAfter
	}
	return false, 0
}
