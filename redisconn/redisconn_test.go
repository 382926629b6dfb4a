package redisconn

import (
	"strings"
	"testing"

	"github.com/hibiken/asynq"
)

// TestParse: one parse keeps the database, the user name, both passwords and
// the Sentinel master, in the go-redis options and in asynq's options alike.
func TestParse(t *testing.T) {
	tests := []struct {
		url                    string
		addrs                  string
		db                     int
		master                 string
		user, password         string
		sentinelUser, sentinel string
		tls                    bool
		wantErrSub             string
	}{
		{url: "redis://localhost:6379", addrs: "localhost:6379"},
		{url: "redis://:pw@10.0.0.1:6380/3", addrs: "10.0.0.1:6380", db: 3, password: "pw"},
		{url: "redis://fgd:pw@10.0.0.1:6380/7", addrs: "10.0.0.1:6380", db: 7, user: "fgd", password: "pw"},
		{url: "rediss://u:pw@redis.example.com:6380/0", addrs: "redis.example.com:6380", user: "u", password: "pw", tls: true},
		{url: "redis-sentinel://:pw@s1:26379,s2:26379/2?master=mymaster", addrs: "s1:26379,s2:26379", db: 2, master: "mymaster", password: "pw", sentinel: "pw"},
		{url: "redis-sentinel://fgd:pw@s1:26379,s2:26379,s3:26379/5?master=m&sentinel_username=sent&sentinel_password=spw",
			addrs: "s1:26379,s2:26379,s3:26379", db: 5, master: "m", user: "fgd", password: "pw", sentinelUser: "sent", sentinel: "spw"},
		{url: "redis-sentinel://:pw@s1:26379?master=m&sentinel_password=", addrs: "s1:26379", master: "m", password: "pw"},
		{url: "redis-sentinel://s1:26379", wantErrSub: "master"},
		{url: "redis-sentinel://:secretpw@s1:26379/x?master=m", wantErrSub: "database number"},
		{url: "redis-sentinel://:secretpw@s1:26379?master=m&sentinel_pass=x", wantErrSub: "sentinel_pass"},
		{url: "memcached://:secretpw@h:1", wantErrSub: "not supported"},
		{url: "redis://:secretpw@h:1/x", wantErrSub: "malformed"},
	}
	for _, tc := range tests {
		t.Run(tc.url, func(t *testing.T) {
			c, err := Parse(tc.url)
			if tc.wantErrSub != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErrSub) || strings.Contains(err.Error(), "secretpw") {
					t.Fatalf("err = %v, want one about %q without the password", err, tc.wantErrSub)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			o := c.Options()
			if strings.Join(o.Addrs, ",") != tc.addrs || o.DB != tc.db || o.MasterName != tc.master || o.Username != tc.user || o.Password != tc.password ||
				o.SentinelUsername != tc.sentinelUser || o.SentinelPassword != tc.sentinel || (o.TLSConfig != nil) != tc.tls {
				t.Fatalf("options %+v", o)
			}
			if o.DialTimeout != DialTimeout || o.MaxRetries != 1 || o.DialerRetries != 1 {
				t.Fatalf("not tuned to fail fast: %+v", o)
			}
			if c.DB() != tc.db || strings.Contains(c.String(), tc.password+"@") {
				t.Fatalf("DB %d, String %q", c.DB(), c.String())
			}

			switch a := c.AsynqConnOpt().(type) {
			case asynq.RedisFailoverClientOpt:
				if tc.master == "" || a.MasterName != tc.master || strings.Join(a.SentinelAddrs, ",") != tc.addrs || a.DB != tc.db ||
					a.Username != tc.user || a.Password != tc.password || a.SentinelUsername != tc.sentinelUser || a.SentinelPassword != tc.sentinel ||
					a.DialTimeout != DialTimeout || a.ReadTimeout != ReadTimeout {
					t.Fatalf("asynq failover options %+v", a)
				}
			case asynq.RedisClientOpt:
				if tc.master != "" || a.Addr != tc.addrs || a.DB != tc.db || a.Username != tc.user || a.Password != tc.password ||
					(a.TLSConfig != nil) != tc.tls || a.DialTimeout != DialTimeout {
					t.Fatalf("asynq options %+v", a)
				}
			default:
				t.Fatalf("asynq options of type %T", a)
			}
		})
	}
}

// TestOptionsIsACopy: a caller changing its copy (the pool size of the
// replicated enqueuer) changes no other connection.
func TestOptionsIsACopy(t *testing.T) {
	c, err := Parse("redis-sentinel://s1:1,s2:2/1?master=m")
	if err != nil {
		t.Fatal(err)
	}
	o := c.Options()
	o.PoolSize, o.Addrs[0] = 1, "changed:1"
	if again := c.Options(); again.PoolSize != 0 || again.Addrs[0] != "s1:1" {
		t.Fatalf("the parse was changed through a copy: %+v", again)
	}
}
