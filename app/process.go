// Package app wires fgd-sync's two processes from a config.Config and a
// Redis connection: the webhook server (NewWebhook: webhook receiver, admin
// API, Asynqmon, probes and metrics) and the worker (NewWorker: the asynq
// server, its task handlers, the scheduler and the worker's health
// endpoint). cmd/webhook, cmd/worker, make run's embedded mode, the demo and
// the end-to-end tests all start from here, so the tests run the production
// wiring.
package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"

	"github.com/githedgehog/fgd-sync/config"
	"github.com/githedgehog/fgd-sync/fabrics"
	"github.com/githedgehog/fgd-sync/internal/buildinfo"
	"github.com/githedgehog/fgd-sync/internal/buildinfo/buildinfometrics"
	"github.com/githedgehog/fgd-sync/registry"
)

// Process is what every fgd-sync process starts from: its configuration,
// its logger, its Redis, the fabric registry on it and the fabrics file.
type Process struct {
	Config   config.Config
	Log      *slog.Logger
	Redis    *Redis
	Registry *registry.Registry
	// Fabrics are the fabrics file's, already being upserted into Registry.
	Fabrics []fabrics.Fabric
}

// Open reads the fabrics file, connects to Redis (or starts the embedded
// one) and puts the fabrics file into the registry: at once when Redis
// answers, in the background while it does not, and again if Redis loses
// it, until ctx ends.
func Open(ctx context.Context, cfg config.Config, log *slog.Logger) (*Process, error) {
	list, err := loadFabrics(cfg)
	if err != nil {
		return nil, err
	}
	rds, err := openRedis(cfg)
	if err != nil {
		return nil, err
	}
	p := &Process{Config: cfg, Log: log, Redis: rds, Registry: registry.New(rds.Client, ""), Fabrics: list}
	upsertFabrics(ctx, rds.Client, p.Registry, list, log)
	return p, nil
}

// Close closes the Redis connection and stops the embedded server.
func (p *Process) Close() { p.Redis.Close() }

// Boot reads the configuration, generates development credentials when the
// webhook runs on the embedded Redis, and opens the process. On failure it
// has printed one line naming the variable and returns the exit code (2 for
// bad configuration, 0 for -h); the caller exits with it.
func Boot(ctx context.Context, role config.Role, program string, args []string, getenv func(string) string, stdout, stderr io.Writer) (*Process, int) {
	if wantsVersion(args) {
		fmt.Fprintf(stdout, "%s %s\n", program, buildinfo.Get())
		return nil, 0
	}
	cfg, err := config.Load(role, args, getenv)
	if errors.Is(err, config.ErrHelp) {
		config.PrintUsage(stderr, program)
		return nil, 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: configuration error: %v\n", program, err)
		return nil, 2
	}
	log := NewLogger(stdout, cfg.LogLevel)
	log.Info(program+" starting", "build", buildinfo.Get())
	p, err := Open(ctx, cfg, log)
	if err != nil {
		fmt.Fprintf(stderr, "%s: configuration error: %v\n", program, err)
		return nil, 2
	}
	if role == config.RoleWebhook && cfg.Embedded() {
		if err := fillDevCredentials(&p.Config, stderr); err != nil {
			p.Close()
			fmt.Fprintf(stderr, "%s: %v\n", program, err)
			return nil, 1
		}
	}
	return p, 0
}

// wantsVersion reports whether args ask for the version (--version or
// -version, anywhere), which needs no configuration.
func wantsVersion(args []string) bool {
	for _, a := range args {
		if a == "--version" || a == "-version" {
			return true
		}
	}
	return false
}

// NewLogger returns a JSON slog logger at the configured level.
func NewLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level)) // config has validated it
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

// NewMetrics returns a process's Prometheus registry: the Go runtime and
// process collectors and fgd_build_info. Each process has its own; nothing
// goes on the global default registry.
func NewMetrics() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	_ = buildinfometrics.Register(reg) // only fails on a second registration, which a fresh registry cannot have
	return reg
}

// ExitCode is the exit code for a start-up error: 2 for configuration.
func ExitCode(err error) int {
	var ce *config.Error
	if errors.As(err, &ce) {
		return 2
	}
	return 1
}

// loadFabrics reads HEDGEHOG_FGD_FABRICS_FILE, or returns none when unset.
func loadFabrics(cfg config.Config) ([]fabrics.Fabric, error) {
	if cfg.FabricsFile == "" {
		return nil, nil
	}
	list, err := fabrics.LoadFile(cfg.FabricsFile)
	if err != nil {
		return nil, &config.Error{Var: config.VarFabricsFile, Msg: err.Error()}
	}
	return list, nil
}

// fabricsFileMarker is set once the fabrics file is in the registry. Only
// a Redis that lost its data (restarted without persistence) loses it; the
// file is then upserted again, or every webhook for its fabrics would be
// ignored until the next restart of the process.
const fabricsFileMarker = "fgd:fabrics-file-upserted"

// fabricsFileCheck is how often the marker is looked for, and how often an
// upsert that failed (Redis down) is tried again.
const fabricsFileCheck = 2 * time.Second

// upsertFabrics puts the fabrics file into the registry, now if Redis
// answers, else in the background, and again whenever Redis has lost it,
// until ctx ends.
func upsertFabrics(ctx context.Context, rdb redis.UniversalClient, reg *registry.Registry, list []fabrics.Fabric, log *slog.Logger) {
	if len(list) == 0 {
		return
	}
	upsert := func() bool {
		created, err := reg.UpsertAll(ctx, list)
		if err == nil {
			err = rdb.Set(ctx, fabricsFileMarker, time.Now().UTC().Format(time.RFC3339), 0).Err()
		}
		if err != nil {
			log.Warn("fabrics file not yet in the registry; retrying", "error", err)
			return false
		}
		log.Info("fabrics file upserted into the registry", "fabrics", len(list), "new", len(created))
		return true
	}
	loaded := upsert()
	go func() {
		tick := time.NewTicker(fabricsFileCheck)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			if !loaded {
				loaded = upsert()
				continue
			}
			if n, err := rdb.Exists(ctx, fabricsFileMarker).Result(); err == nil && n == 0 {
				log.Warn("Redis no longer holds the fabrics file (restarted without its data?); upserting it again")
				loaded = upsert()
			}
		}
	}()
}

// fillDevCredentials generates the webhook secret and admin token that
// development mode needs and were not given, and shows them on the terminal
// (not in the structured log).
func fillDevCredentials(cfg *config.Config, terminal io.Writer) error {
	if len(cfg.WebhookSecrets) == 0 {
		s, err := randomToken()
		if err != nil {
			return err
		}
		cfg.WebhookSecrets = []config.Secret{config.Secret(s)}
		fmt.Fprintf(terminal, "generated webhook secret (development only): %s\n", s)
	}
	if cfg.AdminToken == "" {
		s, err := randomToken()
		if err != nil {
			return err
		}
		cfg.AdminToken = config.Secret(s)
		fmt.Fprintf(terminal, "generated admin token (development only):    %s\n", s)
	}
	return nil
}

// randomToken returns 32 random bytes in hex.
func randomToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate token: %w", err)
	}
	return hex.EncodeToString(b), nil
}
