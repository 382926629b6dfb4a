//go:build chaos

package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// roleTimeline records every change of each data node's replication role,
// so that a lost delivery can be placed against the failovers.
type roleTimeline struct {
	mu     sync.Mutex
	events []string
}

// watch polls ROLE on every data node until ctx ends.
func (rt *roleTimeline) watch(ctx context.Context, top *topology, start time.Time) {
	last := map[string]string{}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		for _, n := range top.data {
			role := nodeRole(ctx, n.addr())
			if role != last[n.addr()] {
				last[n.addr()] = role
				rt.mu.Lock()
				rt.events = append(rt.events, fmt.Sprintf("%6.2fs %s %s", time.Since(start).Seconds(), n.addr(), role))
				rt.mu.Unlock()
			}
		}
	}
}

func (rt *roleTimeline) String() string {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return strings.Join(rt.events, "\n")
}

// nodeRole is "master(<replicas>)", "replica-of <addr> <state>" or "down".
func nodeRole(ctx context.Context, addr string) string {
	c := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 100 * time.Millisecond, ReadTimeout: 100 * time.Millisecond, MaxRetries: -1})
	defer c.Close()
	v, err := c.Do(ctx, "ROLE").Slice()
	if err != nil || len(v) == 0 {
		return "down"
	}
	switch v[0] {
	case "master":
		var reps []string
		if len(v) > 2 {
			if list, ok := v[2].([]any); ok {
				for _, r := range list {
					if f, ok := r.([]any); ok && len(f) > 1 {
						reps = append(reps, fmt.Sprint(f[1]))
					}
				}
			}
		}
		return "master(" + strings.Join(reps, ",") + ")"
	case "slave":
		if len(v) > 3 {
			return fmt.Sprintf("replica-of %v %v", v[2], v[3])
		}
	}
	return fmt.Sprint(v[0])
}

// whereIs names the live data nodes that hold the sync's task and record.
func whereIs(ctx context.Context, top *topology, id string) string {
	var out []string
	for _, n := range top.data {
		c := redis.NewClient(&redis.Options{Addr: n.addr(), DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
		state, err1 := c.HGet(ctx, "asynq:{fgd}:t:"+id, "state").Result()
		rec, err2 := c.Exists(ctx, "fgd:sync:"+id).Result()
		due := ""
		for _, set := range []string{"retry", "scheduled"} {
			if at, err := c.ZScore(ctx, "asynq:{fgd}:"+set, id).Result(); err == nil {
				due = fmt.Sprintf(" %s due in %.0fs", set, time.Until(time.Unix(int64(at), 0)).Seconds())
			}
		}
		_ = c.Close()
		if err1 != nil && err1 != redis.Nil || err2 != nil {
			out = append(out, n.addr()+" down")
			continue
		}
		out = append(out, fmt.Sprintf("%s task=%q%s record=%d", n.addr(), state, due, rec))
	}
	return strings.Join(out, "; ")
}

// linesWith returns the log lines of the processes that mention id, each
// prefixed with its process and its time into the load.
func linesWith(procs []*process, id string, start time.Time) string {
	var out []string
	for _, p := range procs {
		for _, line := range strings.Split(p.output(), "\n") {
			if !strings.Contains(line, id) {
				continue
			}
			var entry struct {
				Time time.Time `json:"time"`
			}
			at := ""
			if json.Unmarshal([]byte(line), &entry) == nil {
				at = fmt.Sprintf("%6.2fs ", entry.Time.Sub(start).Seconds())
			}
			out = append(out, at+p.name+" "+line)
		}
	}
	return strings.Join(out, "\n")
}

// refusalReasons counts the webhook's logged reasons for its 503s, with
// addresses and numbers masked so that alike reasons group.
func refusalReasons(webhook *process) string {
	mask := regexp.MustCompile(`[0-9]+(\.[0-9]+)*(:[0-9]+)?`)
	counts := map[string]int{}
	for _, line := range strings.Split(webhook.output(), "\n") {
		if !strings.Contains(line, "webhook delivery not queued") {
			continue
		}
		var entry struct {
			Error string `json:"error"`
		}
		if json.Unmarshal([]byte(line), &entry) != nil {
			continue
		}
		reason := mask.ReplaceAllString(entry.Error, "N")
		if len(reason) > 160 {
			reason = reason[:160]
		}
		counts[reason]++
	}
	var out []string
	for r, n := range counts {
		out = append(out, fmt.Sprintf("%5d  %s", n, r))
	}
	sort.Sort(sort.Reverse(sort.StringSlice(out)))
	return strings.Join(out, "\n")
}
