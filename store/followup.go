package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// FollowUp is the one sync a fabric still owes the triggers that arrived
// while another of its syncs ran.
type FollowUp struct {
	ID string
	// Payload is the follow-up's task payload, made by the first trigger.
	Payload []byte
	// Covers are the sync ids of the triggers it covers, in arrival order.
	Covers []string
	// Writes tells whether at least one covered trigger asked to write;
	// when none did (validate_only), the follow-up only validates.
	Writes bool
}

// The follow-up is a hash (id, payload, writes) and a list of the covered
// sync ids. The names differ from the single string key of earlier
// versions, which expires by itself.
func (s *Store) followUpKey(fabric string) string { return s.prefix + "follow-up:" + fabric }
func (s *Store) coversKey(fabric string) string   { return s.prefix + "follow-up:" + fabric + ":covers" }
func (s *Store) legacyFollowUpKey(fabric string) string {
	return s.prefix + "followup:" + fabric
}

// followUpTTL keeps a pending follow-up long enough to outlive any crash
// recovery.
const followUpTTL = 24 * time.Hour

var (
	// Creates the follow-up unless one is pending, adds the trigger to what
	// it covers (unless the trigger is the follow-up itself), and answers
	// the pending follow-up.
	addFollowUpScript = redis.NewScript(`
redis.call("HSETNX", KEYS[1], "id", ARGV[1])
redis.call("HSETNX", KEYS[1], "payload", ARGV[2])
local id = redis.call("HGET", KEYS[1], "id")
if ARGV[3] ~= id then
  local seen = false
  for _, c in ipairs(redis.call("LRANGE", KEYS[2], 0, -1)) do
    if c == ARGV[3] then seen = true end
  end
  if not seen then redis.call("RPUSH", KEYS[2], ARGV[3]) end
  if ARGV[4] == "1" then redis.call("HSET", KEYS[1], "writes", "1") end
end
redis.call("PEXPIRE", KEYS[1], ARGV[5])
if redis.call("EXISTS", KEYS[2]) == 1 then redis.call("PEXPIRE", KEYS[2], ARGV[5]) end
return {id, redis.call("HGET", KEYS[1], "payload"), redis.call("HGET", KEYS[1], "writes") or "0", redis.call("LRANGE", KEYS[2], 0, -1)}`)
	// Removes and answers the pending follow-up, only for the follow-up
	// sync itself.
	takeFollowUpScript = redis.NewScript(`
if redis.call("HGET", KEYS[1], "id") ~= ARGV[1] then
  return false
end
local out = {ARGV[1], redis.call("HGET", KEYS[1], "payload"), redis.call("HGET", KEYS[1], "writes") or "0", redis.call("LRANGE", KEYS[2], 0, -1)}
redis.call("DEL", KEYS[1], KEYS[2])
return out`)
)

// AddFollowUp records that trigger covered needs a sync after the running
// one: it joins the fabric's pending follow-up, or makes one with id and
// payload when none is pending. writes says whether the trigger asked to
// write. It answers the pending follow-up.
func (s *Store) AddFollowUp(ctx context.Context, fabric, id string, payload []byte, covered string, writes bool) (*FollowUp, error) {
	w := "0"
	if writes {
		w = "1"
	}
	v, err := addFollowUpScript.Run(ctx, s.rdb, []string{s.followUpKey(fabric), s.coversKey(fabric)}, id, payload, covered, w, followUpTTL.Milliseconds()).Slice()
	if err != nil {
		return nil, fmt.Errorf("coalesce trigger of %s: %w", fabric, err)
	}
	return followUpOf(v)
}

// TakeFollowUp removes and returns the fabric's pending follow-up when it
// is id's, as the follow-up sync starts; nil otherwise.
func (s *Store) TakeFollowUp(ctx context.Context, fabric, id string) (*FollowUp, error) {
	v, err := takeFollowUpScript.Run(ctx, s.rdb, []string{s.followUpKey(fabric), s.coversKey(fabric)}, id).Slice()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("take follow-up of %s: %w", fabric, err)
	}
	return followUpOf(v)
}

func followUpOf(v []any) (*FollowUp, error) {
	if len(v) != 4 {
		return nil, fmt.Errorf("follow-up: unexpected answer %v", v)
	}
	id, _ := v[0].(string)
	payload, _ := v[1].(string)
	writes, _ := v[2].(string)
	f := &FollowUp{ID: id, Payload: []byte(payload), Writes: writes == "1", Covers: []string{}}
	covers, _ := v[3].([]any)
	for _, c := range covers {
		if s, ok := c.(string); ok {
			f.Covers = append(f.Covers, s)
		}
	}
	return f, nil
}
