// Package redisconn opens the go-redis client that the queue, the registry and
// the records share, from a redis://, rediss:// or redis-sentinel:// URL.
//
// The client is tuned to fail fast: the webhook server must answer 503 within
// a second when Redis is down, and go-redis's defaults (five dial retries,
// three command retries, 5 s dial timeout) would hold a request far longer.
package redisconn

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Timeouts used by every client. A Redis on the same network answers in well
// under a millisecond, so these only matter when it is down or partitioned.
const (
	DialTimeout  = 250 * time.Millisecond
	ReadTimeout  = 500 * time.Millisecond
	WriteTimeout = 500 * time.Millisecond
)

// Options parses rawURL into go-redis universal options with fail-fast
// tuning. Errors never quote the URL, which may hold a password.
func Options(rawURL string) (*redis.UniversalOptions, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, errors.New("redis URL is not a valid URL")
	}
	o := &redis.UniversalOptions{}
	switch u.Scheme {
	case "redis", "rediss":
		parsed, err := redis.ParseURL(rawURL)
		if err != nil {
			return nil, errors.New("redis URL is malformed (expected redis://[user:password@]host:port[/db])")
		}
		o.Addrs = []string{parsed.Addr}
		o.Username = parsed.Username
		o.Password = parsed.Password
		o.DB = parsed.DB
		o.TLSConfig = parsed.TLSConfig
	case "redis-sentinel":
		// The same shape asynq.ParseRedisURI accepts:
		// redis-sentinel://[:password@]host1:port1[,host2:port2]/[db]?master=name
		o.Addrs = strings.Split(u.Host, ",")
		o.MasterName = u.Query().Get("master")
		if o.MasterName == "" {
			return nil, errors.New("redis-sentinel URL needs ?master=<name>")
		}
		if pw, ok := u.User.Password(); ok {
			o.SentinelPassword = pw
			o.Password = pw
		}
		if p := strings.Trim(u.Path, "/"); p != "" {
			db, err := strconv.Atoi(p)
			if err != nil {
				return nil, errors.New("redis-sentinel URL path must be a database number")
			}
			o.DB = db
		}
	default:
		return nil, fmt.Errorf("redis URL scheme %q is not supported; use redis://, rediss:// or redis-sentinel://", u.Scheme)
	}
	o.DialTimeout = DialTimeout
	o.ReadTimeout = ReadTimeout
	o.WriteTimeout = WriteTimeout
	o.DialerRetries = 1
	o.DialerRetryTimeout = 20 * time.Millisecond
	o.MaxRetries = 1
	o.PoolTimeout = time.Second
	return o, nil
}

// Open returns a client for rawURL. It does not dial: Redis may come up
// later, and the client reconnects on its own.
func Open(rawURL string) (redis.UniversalClient, error) {
	o, err := Options(rawURL)
	if err != nil {
		return nil, err
	}
	return redis.NewUniversalClient(o), nil
}
