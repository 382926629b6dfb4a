package redisconn

import (
	"strings"
	"testing"
)

func TestOptions(t *testing.T) {
	tests := []struct {
		url        string
		addrs      string
		db         int
		master     string
		password   string
		tls        bool
		wantErrSub string
	}{
		{url: "redis://localhost:6379", addrs: "localhost:6379"},
		{url: "redis://:pw@10.0.0.1:6380/3", addrs: "10.0.0.1:6380", db: 3, password: "pw"},
		{url: "rediss://u:pw@redis.example.com:6380/0", addrs: "redis.example.com:6380", password: "pw", tls: true},
		{url: "redis-sentinel://:pw@s1:26379,s2:26379/2?master=mymaster", addrs: "s1:26379,s2:26379", db: 2, master: "mymaster", password: "pw"},
		{url: "redis-sentinel://s1:26379", wantErrSub: "master"},
		{url: "memcached://:secretpw@h:1", wantErrSub: "not supported"},
		{url: "redis://:secretpw@h:1/x", wantErrSub: "malformed"},
	}
	for _, tc := range tests {
		t.Run(tc.url, func(t *testing.T) {
			o, err := Options(tc.url)
			if tc.wantErrSub != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErrSub) || strings.Contains(err.Error(), "secretpw") {
					t.Fatalf("err = %v, want one about %q without the password", err, tc.wantErrSub)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(o.Addrs, ",") != tc.addrs || o.DB != tc.db || o.MasterName != tc.master || o.Password != tc.password || (o.TLSConfig != nil) != tc.tls {
				t.Fatalf("options %+v", o)
			}
			if o.DialTimeout != DialTimeout || o.MaxRetries != 1 || o.DialerRetries != 1 {
				t.Fatalf("not tuned to fail fast: %+v", o)
			}
		})
	}
}
