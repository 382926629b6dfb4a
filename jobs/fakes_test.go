package jobs

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"io/fs"
	"maps"
	"strings"
	"sync"
	"testing/fstest"

	"github.com/githedgehog/fgd-sync/github"
	"github.com/githedgehog/fgd-sync/github/gitcache"
)

// fakeRemote is a git remote with one branch, in memory: what the sync's
// Checkout and Repositories see, without git.
type fakeRemote struct {
	mu       sync.Mutex
	head     string
	files    map[string]string // path → content at head
	messages map[string]string // sha → commit message
	pushed   []string          // shas pushed to the branch, in order
	branches map[string]string // fgd/ branch → sha
	opened   []string          // cache keys opened
	dropped  []string          // cache keys dropped
	// beforePush runs (without the lock) before each push of the branch;
	// it may move the remote, as another writer would.
	beforePush func(r *fakeRemote)
	// ingestGate, when set, blocks every FabricFS call until it is closed;
	// ingesting signals ingestStarted first.
	ingestGate    chan struct{}
	ingestStarted chan struct{}
	seq           int
}

func newFakeRemote(files map[string]string) *fakeRemote {
	r := &fakeRemote{files: map[string]string{}, messages: map[string]string{}, branches: map[string]string{}}
	r.commitLocked(files, nil, "initial commit\n")
	return r
}

// Push adds a commit to the branch, as a person pushing would.
func (r *fakeRemote) Push(writes map[string]string, message string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.commitLocked(writes, nil, message)
}

func (r *fakeRemote) commitLocked(writes map[string]string, removes []string, message string) string {
	for p, c := range writes {
		r.files[p] = c
	}
	for _, p := range removes {
		delete(r.files, p)
	}
	r.head = r.newSHA(message)
	r.messages[r.head] = message
	return r.head
}

func (r *fakeRemote) newSHA(message string) string {
	r.seq++
	sum := sha1.Sum([]byte(fmt.Sprintf("%d\x00%s", r.seq, message)))
	return hex.EncodeToString(sum[:])
}

// Head is the branch head.
func (r *fakeRemote) Head() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.head
}

// Pushed returns the shas pushed to the branch and the fgd/ branches.
func (r *fakeRemote) Pushed() ([]string, map[string]string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.pushed...), maps.Clone(r.branches)
}

// Message is a commit's message.
func (r *fakeRemote) Message(sha string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.messages[sha]
}

// Open is Repositories.Open: a checkout at the remote head.
func (r *fakeRemote) Open(_ context.Context, key, _, _, _ string) (Checkout, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.opened = append(r.opened, key)
	return &fakeCheckout{r: r, base: r.head, head: r.head, files: maps.Clone(r.files)}, nil
}

// Drop is Repositories.Drop.
func (r *fakeRemote) Drop(key string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dropped = append(r.dropped, key)
	return nil
}

// DropFabric is Repositories.DropFabric.
func (r *fakeRemote) DropFabric(fabric string) error { return r.Drop(fabric + "-*") }

// fakeCheckout is a clone of a fakeRemote.
type fakeCheckout struct {
	r     *fakeRemote
	base  string // the remote head it was opened at
	head  string
	files map[string]string
}

func (c *fakeCheckout) Head() string { return c.head }

func (c *fakeCheckout) CommitMessage(sha string) (string, error) {
	c.r.mu.Lock()
	defer c.r.mu.Unlock()
	msg, ok := c.r.messages[sha]
	if !ok {
		return "", fmt.Errorf("no commit %s", sha)
	}
	return msg, nil
}

func (c *fakeCheckout) FabricFS(fabricPath string) (fs.FS, func(), error) {
	if c.r.ingestGate != nil {
		select {
		case c.r.ingestStarted <- struct{}{}:
		default:
		}
		<-c.r.ingestGate
	}
	m := fstest.MapFS{}
	prefix := strings.TrimSuffix(fabricPath, "/") + "/"
	for p, content := range c.files {
		if rel, ok := strings.CutPrefix(p, prefix); ok {
			m[rel] = &fstest.MapFile{Data: []byte(content), Mode: 0o644}
		}
	}
	return m, func() {}, nil
}

func (c *fakeCheckout) Commit(fabricPath string, change gitcache.Change, message string) (string, error) {
	changed := false
	for name, data := range change.Writes {
		p := fabricPath + "/" + name
		if old, ok := c.files[p]; !ok || old != string(data) {
			c.files[p], changed = string(data), true
		}
	}
	for _, name := range change.Removes {
		p := fabricPath + "/" + name
		if _, ok := c.files[p]; ok {
			delete(c.files, p)
			changed = true
		}
	}
	if !changed {
		return "", nil
	}
	c.r.mu.Lock()
	defer c.r.mu.Unlock()
	c.head = c.r.newSHA(message)
	c.r.messages[c.head] = message
	return c.head, nil
}

func (c *fakeCheckout) Push(ctx context.Context) error {
	if c.r.beforePush != nil {
		c.r.beforePush(c.r)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("push: %w", err) // as go-git's transport does
	}
	c.r.mu.Lock()
	defer c.r.mu.Unlock()
	if c.r.head != c.base {
		return fmt.Errorf("push: %w", gitcache.ErrPushRejected)
	}
	c.r.head, c.r.files = c.head, maps.Clone(c.files)
	c.r.pushed = append(c.r.pushed, c.head)
	return nil
}

func (c *fakeCheckout) PushBranch(_ context.Context, branch string) error {
	if !strings.HasPrefix(branch, "fgd/") {
		return fmt.Errorf("refusing to force-push %s", branch)
	}
	c.r.mu.Lock()
	defer c.r.mu.Unlock()
	c.r.branches[branch] = c.head
	return nil
}

// fakeGitHub records what a sync reports, in order.
type fakeGitHub struct {
	mu        sync.Mutex
	app       bool
	statuses  []postedStatus
	checkRuns []postedCheckRun
	prs       []string // heads of pull requests opened or updated
}

type postedStatus struct{ SHA, State, Description string }

type postedCheckRun struct{ SHA, Conclusion string }

func (g *fakeGitHub) Reporter(context.Context, string) (Reporter, error) { return g, nil }
func (g *fakeGitHub) App() bool                                          { return g.app }

func (g *fakeGitHub) SetStatus(_ context.Context, _, sha, state, _, description string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.statuses = append(g.statuses, postedStatus{sha, state, description})
	return nil
}

func (g *fakeGitHub) CreateCheckRun(_ context.Context, _, sha, _, conclusion, _, _ string, _ []github.Annotation) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.checkRuns = append(g.checkRuns, postedCheckRun{sha, conclusion})
	return nil
}

func (g *fakeGitHub) FindOpenPR(context.Context, string, string, string) (github.PullRequest, bool, error) {
	return github.PullRequest{}, false, nil
}

func (g *fakeGitHub) OpenOrUpdatePR(_ context.Context, _, head, _, _, _, _ string) (github.PullRequest, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.prs = append(g.prs, head)
	return github.PullRequest{Number: len(g.prs), URL: fmt.Sprintf("https://github.test/pr/%d", len(g.prs)), Head: head}, nil
}

// finalStatuses are the non-pending statuses, by sha.
func (g *fakeGitHub) finalStatuses() map[string]string {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := map[string]string{}
	for _, s := range g.statuses {
		if s.State != github.StatusPending {
			out[s.SHA] = s.State
		}
	}
	return out
}

func vpcYAML(name string, vlan int) string {
	return fmt.Sprintf("apiVersion: vpc.githedgehog.com/v1beta1\nkind: VPC\nmetadata:\n  name: %s\nspec:\n  subnets:\n    default:\n      subnet: 10.%d.%d.0/24\n      vlan: %d\n", name, vlan/256, vlan%256, vlan)
}
