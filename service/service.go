// Package service holds what every fgd-sync process does at start-up: its
// logger, its Redis connection (real or embedded) and its credentials for
// development.
package service

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/githedgehog/fgd-sync/config"
	"github.com/githedgehog/fgd-sync/fabrics"
	"github.com/githedgehog/fgd-sync/github"
	"github.com/githedgehog/fgd-sync/github/gitcache"
	"github.com/githedgehog/fgd-sync/ingestion"
	"github.com/githedgehog/fgd-sync/internal/embedredis"
	"github.com/githedgehog/fgd-sync/jobs"
	"github.com/githedgehog/fgd-sync/redisconn"
	"github.com/githedgehog/fgd-sync/registry"
	"github.com/githedgehog/fgd-sync/store"
	"github.com/githedgehog/fgd-sync/worker"
)

// NewLogger returns a JSON slog logger at the configured level.
func NewLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level)) // config has validated it
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

// Redis is an open Redis client, with the embedded server behind it when
// there is one.
type Redis struct {
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

// OpenRedis connects to cfg.RedisURL, or starts the embedded in-memory Redis
// on a loopback port when it is unset.
func OpenRedis(cfg config.Config) (*Redis, error) {
	if !cfg.Embedded() {
		c, err := redisconn.Open(cfg.RedisURL.Reveal())
		if err != nil {
			return nil, fmt.Errorf("%s: %w", config.VarRedisURL, err)
		}
		return &Redis{Client: c}, nil
	}
	m, err := embedredis.Start()
	if err != nil {
		return nil, fmt.Errorf("start embedded Redis: %w", err)
	}
	c, err := redisconn.Open("redis://" + m.Addr())
	if err != nil {
		m.Close()
		return nil, err
	}
	return &Redis{Client: c, Embedded: m}, nil
}

// RandomToken returns 32 random bytes in hex, for credentials generated in
// development mode.
func RandomToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// LoadFabrics reads HEDGEHOG_FGD_FABRICS_FILE, or returns none when unset.
func LoadFabrics(cfg config.Config) ([]fabrics.Fabric, error) {
	if cfg.FabricsFile == "" {
		return nil, nil
	}
	list, err := fabrics.LoadFile(cfg.FabricsFile)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", config.VarFabricsFile, err)
	}
	return list, nil
}

// NewSyncHandler wires the sync job: the fabrics, the Redis store, the
// repository cache, the GitHub API and the CRD bundle.
func NewSyncHandler(cfg config.Config, rdb redis.UniversalClient, source jobs.FabricSource, log *slog.Logger, reg prometheus.Registerer, taskOpts ...asynq.Option) (*jobs.SyncHandler, error) {
	bundle, err := ingestion.LoadBundle()
	if err != nil {
		return nil, fmt.Errorf("load the CRD bundle: %w", err)
	}
	breakers := github.NewBreakers(github.DefaultBreakerSettings, reg)
	creds, err := NewCredentials(cfg, breakers.Transport(nil))
	if err != nil {
		return nil, err
	}
	h := &jobs.SyncHandler{
		Logger:    log,
		Fabrics:   source,
		Store:     store.New(rdb, ""),
		Repos:     jobs.GitCache{RepoCache: &gitcache.RepoCache{Dir: cfg.DataDir, Creds: creds, Author: gitcache.Author{Name: cfg.GitAuthorName, Email: cfg.GitAuthorEmail}, Breakers: breakers, Allowed: cfg.GitAllowedURLs, MaxCheckoutBytes: cfg.MaxCheckoutBytes, MaxCheckoutFiles: cfg.MaxCheckoutFiles}},
		Reporters: jobs.GitHubReporters{Credentials: creds},
		Queue:     asynq.NewClientFromRedisClient(rdb),
		Bundle:    bundle,
		APIURL:    cfg.GitHubAPIURL,
		Timeout:   cfg.SyncTimeout,
		TaskOpts:  taskOpts,
	}
	h.MaxRawBytes = cfg.MaxRawBytes
	if cfg.GitHubToken == "" && cfg.GitHubAppID == 0 {
		log.Warn("no " + config.VarGitHubToken + " and no GitHub App: commit statuses and pull requests are off; git runs without credentials")
	}
	return h, nil
}

// NewCredentials returns GitHub App credentials when an App is configured,
// else token credentials (possibly empty).
func NewCredentials(cfg config.Config, transport http.RoundTripper) (github.Credentials, error) {
	if cfg.GitHubAppID != 0 {
		c, err := github.NewAppCredentials(cfg.GitHubAPIURL, cfg.GitHubAppID, cfg.GitHubAppKeyFile, transport)
		if err != nil {
			return nil, &config.Error{Var: config.VarGitHubAppKeyFile, Msg: "is not a usable GitHub App private key (RSA PEM expected)"}
		}
		return c, nil
	}
	c, err := github.NewTokenCredentials(cfg.GitHubAPIURL, cfg.GitHubToken.Reveal(), &http.Client{Transport: transport, Timeout: 30 * time.Second})
	if err != nil {
		return nil, &config.Error{Var: config.VarGitHubAPIURL, Msg: "is not a usable API URL"}
	}
	return c, nil
}

// ExitCode is the exit code for a start-up error: 2 for configuration.
func ExitCode(err error) int {
	var ce *config.Error
	if errors.As(err, &ce) {
		return 2
	}
	return 1
}

// UpsertFabrics puts the fabrics file into the registry. Redis may be down
// at start-up, which is not fatal: it keeps trying in the background until
// it succeeds or ctx ends.
func UpsertFabrics(ctx context.Context, reg *registry.Registry, list []fabrics.Fabric, log *slog.Logger) {
	if len(list) == 0 {
		return
	}
	try := func() bool {
		created, err := reg.UpsertAll(ctx, list)
		if err != nil {
			log.Warn("fabrics file not yet in the registry; retrying", "error", err)
			return false
		}
		log.Info("fabrics file upserted into the registry", "fabrics", len(list), "new", len(created))
		return true
	}
	if try() {
		return
	}
	go func() {
		tick := time.NewTicker(2 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				if try() {
					return
				}
			}
		}
	}()
}

// Worker returns the worker options for this configuration: the sync,
// init and cleanup jobs, the health check and the schedule. conn, when not
// nil, gives the scheduler a connection of its own.
func Worker(cfg config.Config, rdb redis.UniversalClient, conn asynq.RedisConnOpt, reg *registry.Registry, log *slog.Logger, metrics prometheus.Registerer) (worker.Options, error) {
	sync, err := NewSyncHandler(cfg, rdb, reg, log, metrics)
	if err != nil {
		return worker.Options{}, err
	}
	ping := pinger{rdb}
	return worker.Options{
		Redis: rdb, Concurrency: cfg.WorkerPoolSize, Logger: log, Sync: sync,
		Health:   jobs.NewHealthHandler(log, ping, asynq.NewInspectorFromRedisClient(rdb), jobs.DefaultQueue, metrics),
		Schedule: &jobs.Schedule{Fabrics: reg, Prune: sync.CachePruner()}, SchedulerConn: conn,
	}, nil
}

type pinger struct{ rdb redis.UniversalClient }

func (p pinger) Ping(ctx context.Context) error { return p.rdb.Ping(ctx).Err() }

// RedisConnOpt is the connection Asynqmon needs, which takes options
// rather than a client.
func RedisConnOpt(cfg config.Config, r *Redis) (asynq.RedisConnOpt, error) {
	if r.Embedded != nil {
		return asynq.RedisClientOpt{Addr: r.Embedded.Addr()}, nil
	}
	opt, err := asynq.ParseRedisURI(cfg.RedisURL.Reveal())
	if err != nil {
		return nil, fmt.Errorf("%s: is not a URL Asynqmon accepts", config.VarRedisURL)
	}
	return opt, nil
}

// Process is what every fgd-sync process starts from.
type Process struct {
	Config  config.Config
	Log     *slog.Logger
	Fabrics []fabrics.Fabric
	Redis   *Redis
}

// Boot reads the configuration and the fabrics file and opens Redis. On
// failure it has printed one line naming the variable and returns the exit
// code (2 for bad configuration, 0 for -h); the caller exits with it.
func Boot(role config.Role, program string, args []string, getenv func(string) string, stdout, stderr io.Writer) (*Process, int) {
	cfg, err := config.Load(role, args, getenv)
	if errors.Is(err, config.ErrHelp) {
		config.PrintUsage(stderr, program)
		return nil, 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: configuration error: %v\n", program, err)
		return nil, 2
	}
	list, err := LoadFabrics(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "%s: configuration error: %v\n", program, err)
		return nil, 2
	}
	rdb, err := OpenRedis(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "%s: configuration error: %v\n", program, err)
		return nil, 2
	}
	return &Process{Config: cfg, Log: NewLogger(stdout, cfg.LogLevel), Fabrics: list, Redis: rdb}, 0
}
