package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// PullRequestHead is a head commit announced for a pull request of a
// fabric: the head a pull_request delivery named, and the validation
// (sync) it queued for it.
type PullRequestHead struct {
	SHA    string `json:"sha"`
	SyncID string `json:"sync_id"`
	// UpdatedAt is the delivery's pull_request.updated_at, which GitHub
	// moves on every change of the pull request; ReceivedAt, when the
	// delivery arrived, orders two changes within one second.
	UpdatedAt  time.Time `json:"updated_at"`
	ReceivedAt time.Time `json:"received_at"`
}

// order sorts heads as strings: the newer change is the greater.
func (h PullRequestHead) order() string {
	return fmt.Sprintf("%020d.%020d", max(h.UpdatedAt.Unix(), 0), max(h.ReceivedAt.UnixNano(), 0))
}

// pullRequestHeadTTL bounds how long an idle pull request's head is kept;
// when it has gone, the next announcement simply wins.
const pullRequestHeadTTL = RecordTTL

func (s *Store) pullRequestHeadKey(fabric string, number int) string {
	return fmt.Sprintf("%spr:%s:%d:head", s.prefix, fabric, number)
}

// Replaces the head only with a newer one, and answers the newest.
var announceScript = redis.NewScript(`
local cur = redis.call("HGET", KEYS[1], "order")
if (not cur) or cur < ARGV[1] then
  redis.call("HSET", KEYS[1], "order", ARGV[1], "head", ARGV[2])
end
redis.call("PEXPIRE", KEYS[1], ARGV[3])
return redis.call("HGET", KEYS[1], "head")`)

// AnnouncePullRequestHead records h as the pull request's newest head
// unless a newer change of it was announced already, and answers the
// newest head. Deliveries may arrive out of order: the order is the pull
// request's updated_at, then the arrival. Announcing the same head again
// changes nothing.
func (s *Store) AnnouncePullRequestHead(ctx context.Context, fabric string, number int, h PullRequestHead) (PullRequestHead, error) {
	b, err := json.Marshal(h)
	if err != nil {
		return PullRequestHead{}, fmt.Errorf("encode pull request head: %w", err)
	}
	raw, err := announceScript.Run(ctx, s.rdb, []string{s.pullRequestHeadKey(fabric, number)}, h.order(), b, pullRequestHeadTTL.Milliseconds()).Text()
	if err != nil {
		return PullRequestHead{}, fmt.Errorf("announce the head of pull request %d of %s: %w", number, fabric, err)
	}
	var newest PullRequestHead
	if err := json.Unmarshal([]byte(raw), &newest); err != nil {
		return PullRequestHead{}, fmt.Errorf("decode the head of pull request %d of %s: %w", number, fabric, err)
	}
	return newest, nil
}
