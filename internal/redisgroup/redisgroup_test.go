package redisgroup

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestGroup: the Sentinels name the master, and a write acknowledged by
// WAIT is on the replica.
func TestGroup(t *testing.T) {
	g := Start(t, Options{Replicas: 1, Sentinels: 3, Password: "pw", User: "fgd", UserPassword: "upw", SentinelUser: "sent", SentinelPassword: "spw"})
	ctx := context.Background()
	s := g.SentinelClient(g.Sentinels[2])
	defer s.Close()
	addr, err := s.GetMasterAddrByName(ctx, "fgdmaster").Result()
	if err != nil || addr[0]+":"+addr[1] != g.Master.Addr() {
		t.Fatalf("sentinel names %v %v, want %s", addr, err, g.Master.Addr())
	}
	opt, err := redis.ParseURL(g.MasterURL(4))
	if err != nil {
		t.Fatal(err)
	}
	m := redis.NewClient(opt) // as the ACL user
	defer m.Close()
	if err := m.Set(ctx, "k", "v", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if n, err := m.Wait(ctx, 1, 5*time.Second).Result(); err != nil || n != 1 {
		t.Fatalf("WAIT: %d %v", n, err)
	}
	r := g.Client(g.Replicas[0], 4)
	defer r.Close()
	if v, err := r.Get(ctx, "k").Result(); err != nil || v != "v" {
		t.Fatalf("replica: %q %v", v, err)
	}
}
