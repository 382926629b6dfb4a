package app

import (
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/githedgehog/fgd-sync/config"
	"github.com/githedgehog/fgd-sync/internal/embedredis"
	"github.com/githedgehog/fgd-sync/redisconn"
)

// Redis is the process's Redis: the one parse of its URL that every
// connection is built from, the client that the queue, the registry and the
// records share, and the embedded server behind them when there is one.
type Redis struct {
	Conn     *redisconn.Conn
	Client   redis.UniversalClient
	Embedded *embedredis.Server // nil for a real Redis
}

// Close closes the client and stops the embedded server.
func (r *Redis) Close() {
	_ = r.Client.Close()
	if r.Embedded != nil {
		r.Embedded.Close()
	}
}

// openRedis parses cfg.RedisURL, or starts the embedded in-memory Redis on a
// loopback port when it is unset. It does not dial: Redis may come up later.
func openRedis(cfg config.Config) (*Redis, error) {
	if !cfg.Embedded() {
		conn, err := redisconn.Parse(cfg.RedisURL.Reveal())
		if err != nil {
			return nil, &config.Error{Var: config.VarRedisURL, Msg: err.Error()}
		}
		return &Redis{Conn: conn, Client: conn.NewClient()}, nil
	}
	m, err := embedredis.Start()
	if err != nil {
		return nil, fmt.Errorf("start the embedded Redis: %w", err)
	}
	conn, err := redisconn.Parse("redis://" + m.Addr())
	if err != nil {
		m.Close()
		return nil, err
	}
	return &Redis{Conn: conn, Client: conn.NewClient(), Embedded: m}, nil
}
