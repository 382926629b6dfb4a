// Package webhooktest sends GitHub-shaped webhook deliveries in tests: it
// signs them as GitHub does and builds push payloads with go-github's types.
// The handlers tests use it both from inside the package (for the
// handler's internals) and from outside it (through the production wiring).
package webhooktest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	gh "github.com/google/go-github/v60/github"
	"github.com/hibiken/asynq"

	"github.com/githedgehog/fgd-sync/internal/testredis"
)

// Sign is the X-Hub-Signature-256 of body under secret.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Request is one delivery. Empty fields take GitHub's usual values: JSON,
// a fresh delivery id, a signature under the secret Send is given.
type Request struct {
	Event, Delivery, ContentType string
	Body                         []byte
	Headers                      map[string]string
	Unsigned                     bool
	Chunked                      bool // hide the length: sent chunked
}

// Send posts r to the webhook endpoint of base and decodes the JSON answer.
func Send(t testing.TB, base, secret string, r Request) (*http.Response, map[string]any) {
	t.Helper()
	if r.ContentType == "" {
		r.ContentType = "application/json"
	}
	if r.Delivery == "" {
		r.Delivery = testredis.Unique("delivery")
	}
	var body io.Reader = bytes.NewReader(r.Body)
	if r.Chunked {
		body = io.MultiReader(bytes.NewReader(r.Body))
	}
	hr, err := http.NewRequest(http.MethodPost, base+"/webhooks/github", body)
	if err != nil {
		t.Fatal(err)
	}
	hr.Header.Set("Content-Type", r.ContentType)
	hr.Header.Set("X-GitHub-Delivery", r.Delivery)
	if r.Event != "" {
		hr.Header.Set("X-GitHub-Event", r.Event)
	}
	if !r.Unsigned {
		hr.Header.Set("X-Hub-Signature-256", Sign(secret, r.Body))
	}
	for k, v := range r.Headers {
		hr.Header.Set(k, v)
	}
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(hr)
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	defer resp.Body.Close()
	out := map[string]any{}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("answer %d is not JSON: %v", resp.StatusCode, err)
	}
	return resp, out
}

// PushEvent builds a push payload with go-github's types, shaped like the
// ones GitHub sends, adding files in one commit (none: an empty push).
func PushEvent(repo, ref string, files ...string) *gh.PushEvent {
	owner, name, _ := strings.Cut(repo, "/")
	ev := &gh.PushEvent{
		Ref:     gh.String(ref),
		Before:  gh.String("6113728f27ae82c7b1a177c8d03f9e96e0adf246"),
		After:   gh.String("0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c"),
		Created: gh.Bool(false),
		Deleted: gh.Bool(false),
		Forced:  gh.Bool(false),
		Size:    gh.Int(1),
		Repo: &gh.PushEventRepository{
			ID: gh.Int64(186853002), Name: gh.String(name), FullName: gh.String(repo),
			Owner:         &gh.User{Login: gh.String(owner), ID: gh.Int64(21031067), Type: gh.String("Organization")},
			DefaultBranch: gh.String("main"), MasterBranch: gh.String("main"),
			HTMLURL:  gh.String("https://github.com/" + repo),
			CloneURL: gh.String("https://github.com/" + repo + ".git"),
			Private:  gh.Bool(true),
		},
		Pusher: &gh.CommitAuthor{Name: gh.String("octocat"), Email: gh.String("octocat@github.com")},
		Sender: &gh.User{Login: gh.String("octocat"), ID: gh.Int64(1)},
	}
	commit := &gh.HeadCommit{
		ID:      gh.String("0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c"),
		Message: gh.String("Add raw fabric files"),
		Author:  &gh.CommitAuthor{Name: gh.String("Octo Cat"), Email: gh.String("octocat@github.com")},
		URL:     gh.String("https://github.com/" + repo + "/commit/0d1a26e"),
		Added:   files, Removed: []string{}, Modified: []string{},
	}
	if len(files) > 0 {
		ev.Commits = []*gh.HeadCommit{commit}
		ev.HeadCommit = commit
	} else {
		ev.Size = gh.Int(0)
	}
	return ev
}

// MustJSON encodes v or fails the test.
func MustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// PendingTasks lists the tasks waiting in queue; none when the queue does
// not exist yet.
func PendingTasks(t testing.TB, insp *asynq.Inspector, queue string) []*asynq.TaskInfo {
	t.Helper()
	list, err := insp.ListPendingTasks(queue, asynq.PageSize(1000))
	if errors.Is(err, asynq.ErrQueueNotFound) {
		return nil
	}
	if err != nil {
		t.Fatalf("list tasks: %v", err)
	}
	return list
}

// NoSecretsInLogs fails the test, once it ends, when any of secrets appears
// in what logs returns then.
func NoSecretsInLogs(t testing.TB, logs func() string, secrets ...string) {
	t.Cleanup(func() {
		out := logs()
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("a secret appears in the logs")
			}
		}
	})
}
