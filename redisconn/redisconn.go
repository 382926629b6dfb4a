// Package redisconn turns HEDGEHOG_FGD_REDIS_URL into every Redis connection
// a process opens: the go-redis client that the queue, the registry and the
// records share, and the asynq connection options that the scheduler and
// Asynqmon open for themselves. The URL is parsed once (Parse), so no
// connection can lose the database, the user name, a password or the
// Sentinel master that another one keeps.
//
// The clients are tuned to fail fast: the webhook server must answer 503
// within a second when Redis is down, and go-redis's defaults (five dial
// retries, three command retries, 5 s dial timeout) would hold a request far
// longer.
package redisconn

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// Timeouts used by every client. A Redis on the same network answers in well
// under a millisecond, so these only matter when it is down or partitioned.
const (
	DialTimeout  = 250 * time.Millisecond
	ReadTimeout  = 500 * time.Millisecond
	WriteTimeout = 500 * time.Millisecond
)

// Query parameters of a redis-sentinel:// URL. The Sentinels' own
// credentials are optional: without them the Sentinels get the URL's
// password (and no user name), as asynq's URL form does.
const (
	ParamMaster           = "master"
	ParamSentinelUsername = "sentinel_username"
	ParamSentinelPassword = "sentinel_password"
)

// Conn is one parse of a Redis URL: where Redis is and how to log in. Every
// connection of a process is built from the same Conn.
type Conn struct {
	opts redis.UniversalOptions
}

// Parse reads a redis://, rediss:// or redis-sentinel:// URL:
//
//	redis://[user:password@]host:port[/db]
//	rediss://[user:password@]host:port[/db]
//	redis-sentinel://[user:password@]host:port[,host:port…][/db]?master=name
//	    [&sentinel_username=u][&sentinel_password=p]
//
// Errors never quote the URL, which may hold a password.
func Parse(rawURL string) (*Conn, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, errors.New("redis URL is not a valid URL")
	}
	o := redis.UniversalOptions{}
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
		if err := parseSentinel(u, &o); err != nil {
			return nil, err
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
	return &Conn{opts: o}, nil
}

func parseSentinel(u *url.URL, o *redis.UniversalOptions) error {
	q := u.Query()
	for k := range q {
		switch k {
		case ParamMaster, ParamSentinelUsername, ParamSentinelPassword:
		default:
			return fmt.Errorf("redis-sentinel URL parameter %q is not supported (use master, sentinel_username, sentinel_password)", k)
		}
	}
	if u.Host == "" {
		return errors.New("redis-sentinel URL has no Sentinel addresses")
	}
	o.Addrs = strings.Split(u.Host, ",")
	o.MasterName = q.Get(ParamMaster)
	if o.MasterName == "" {
		return errors.New("redis-sentinel URL needs ?master=<name>")
	}
	o.Username = u.User.Username()
	o.Password, _ = u.User.Password()
	o.SentinelPassword = o.Password
	if q.Has(ParamSentinelUsername) || q.Has(ParamSentinelPassword) {
		o.SentinelUsername = q.Get(ParamSentinelUsername)
		o.SentinelPassword = q.Get(ParamSentinelPassword)
	}
	if p := strings.Trim(u.Path, "/"); p != "" {
		db, err := strconv.Atoi(p)
		if err != nil || db < 0 {
			return errors.New("redis-sentinel URL path must be a database number")
		}
		o.DB = db
	}
	return nil
}

// Options returns a copy of the go-redis options, for a client that needs
// other pool settings (the replicated enqueuer's single-connection clients).
func (c *Conn) Options() *redis.UniversalOptions {
	o := c.opts
	o.Addrs = append([]string(nil), c.opts.Addrs...)
	return &o
}

// NewClient returns a client. It does not dial: Redis may come up later,
// and the client reconnects on its own.
func (c *Conn) NewClient() redis.UniversalClient {
	return redis.NewUniversalClient(c.Options())
}

// AsynqConnOpt returns the options asynq and Asynqmon open connections of
// their own from (the scheduler, the dashboard), with the same address,
// database, credentials and timeouts as NewClient.
func (c *Conn) AsynqConnOpt() asynq.RedisConnOpt {
	o := c.opts
	if o.MasterName != "" {
		return asynq.RedisFailoverClientOpt{
			MasterName: o.MasterName, SentinelAddrs: append([]string(nil), o.Addrs...),
			SentinelUsername: o.SentinelUsername, SentinelPassword: o.SentinelPassword,
			Username: o.Username, Password: o.Password, DB: o.DB,
			DialTimeout: o.DialTimeout, ReadTimeout: o.ReadTimeout, WriteTimeout: o.WriteTimeout,
			TLSConfig: o.TLSConfig,
		}
	}
	return asynq.RedisClientOpt{
		Addr: o.Addrs[0], Username: o.Username, Password: o.Password, DB: o.DB,
		DialTimeout: o.DialTimeout, ReadTimeout: o.ReadTimeout, WriteTimeout: o.WriteTimeout,
		TLSConfig: o.TLSConfig,
	}
}

// DB is the database number every connection selects.
func (c *Conn) DB() int { return c.opts.DB }

// Sentinel reports whether the URL names Sentinels rather than a server.
func (c *Conn) Sentinel() bool { return c.opts.MasterName != "" }

// String describes the target without any credential, for logs.
func (c *Conn) String() string {
	if c.Sentinel() {
		return fmt.Sprintf("sentinel master %s via %s, db %d", c.opts.MasterName, strings.Join(c.opts.Addrs, ","), c.opts.DB)
	}
	return fmt.Sprintf("%s, db %d", c.opts.Addrs[0], c.opts.DB)
}

// Options parses rawURL into go-redis universal options with fail-fast
// tuning. Errors never quote the URL.
func Options(rawURL string) (*redis.UniversalOptions, error) {
	c, err := Parse(rawURL)
	if err != nil {
		return nil, err
	}
	return c.Options(), nil
}

// Open returns a client for rawURL; see Conn.NewClient.
func Open(rawURL string) (redis.UniversalClient, error) {
	c, err := Parse(rawURL)
	if err != nil {
		return nil, err
	}
	return c.NewClient(), nil
}
