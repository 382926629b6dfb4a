package app

import (
	"context"
	"github.com/githedgehog/fgd-sync/access"
	"net/http"

	"github.com/hibiken/asynq"
	"github.com/hibiken/asynqmon"

	"github.com/githedgehog/fgd-sync/github"
	"github.com/githedgehog/fgd-sync/handlers"
	"github.com/githedgehog/fgd-sync/registry"
	"github.com/githedgehog/fgd-sync/store"
)

// Webhook is fgd-sync's HTTP side: the GitHub webhook receiver and the
// probes on the public listener; the admin API, Asynqmon and /metrics there
// too, or on their own listener when cfg.AdminListenAddr is set.
type Webhook struct {
	public http.Handler
	admin  http.Handler // nil: everything is on the public listener
	close  []func()
}

// NewWebhook wires the webhook server on p, its metrics on metrics. With
// cfg.RedisMinReplicas > 0 every enqueue (webhook and admin API) is
// acknowledged only once WAIT confirms that many replicas hold it.
func NewWebhook(p *Process, metrics *Metrics) (*Webhook, error) {
	if err := metrics.CollectQueues(p.Redis.Client); err != nil {
		return nil, err
	}
	cfg, log := p.Config, p.Log
	w := &Webhook{}
	queue, replicated, closeQueue := p.enqueuer()
	w.close = append(w.close, closeQueue)
	enqueueTimeout := handlers.DefaultEnqueueTimeout
	if replicated {
		enqueueTimeout += cfg.RedisWaitTimeout
	}
	ping := handlers.RedisPinger(func(ctx context.Context) error { return p.Redis.Client.Ping(ctx).Err() })

	secrets := make([][]byte, len(cfg.WebhookSecrets))
	for i, s := range cfg.WebhookSecrets {
		secrets[i] = []byte(s.Reveal())
	}
	// The receiver lists pull requests' files with the workers' credentials.
	creds, err := newCredentials(cfg, metrics.Breakers.Transport(nil), metrics.RateLimits)
	if err != nil {
		return nil, err
	}
	receiver := &handlers.WebhookHandler{
		// The registry held in memory, checked against Redis at most every
		// 100 ms: no Redis round trip per delivery to route it.
		Secrets: secrets, Fabrics: registry.NewCache(p.Registry, registry.DefaultCacheMaxAge), Queue: queue,
		Metrics: handlers.NewMetrics(metrics.Registry.Registry), MemoryBytes: cfg.WebhookMemoryBytes,
		Logger: log, EnqueueTimeout: enqueueTimeout, PullRequestFiles: github.PullRequestFileLister{Credentials: creds},
	}
	adminAPI := &handlers.AdminAPI{
		Token: []byte(cfg.AdminToken.Reveal()), Registry: p.Registry, Records: store.New(p.Redis.Client, ""), Queue: queue,
		Inspector: asynq.NewInspectorFromRedisClient(p.Redis.Client), Redis: ping, Logger: log.With("component", "admin"),
		Access:  access.New(p.Redis.Client, access.Options{}),
		Remotes: github.AllowedRemotes(cfg.GitAllowedURLs),
	}
	admin := adminAPI.Routes()
	monitoring := asynqmon.New(asynqmon.Options{RootPath: "/monitoring", RedisConnOpt: p.Redis.Conn.AsynqConnOpt(), ReadOnly: cfg.DashboardReadOnly})
	w.close = append(w.close, func() { _ = monitoring.Close() })

	operator := handlers.RouterConfig{
		Redis: ping, Logger: log, Admin: admin,
		// The dashboard takes the bootstrap admin token or a scoped admin
		// token, and audits what it changes.
		Monitoring: adminAPI.Dashboard(monitoring),
	}
	if cfg.MetricsEnabled {
		operator.Gatherer = metrics
	}
	if cfg.AdminListenAddr == "" {
		operator.Webhook = receiver
		w.public = handlers.NewRouter(operator)
		return w, nil
	}
	// The public listener keeps only what GitHub and the probes need.
	w.public = handlers.NewRouter(handlers.RouterConfig{Webhook: receiver, Redis: ping, Logger: log})
	w.admin = handlers.NewRouter(operator)
	return w, nil
}

// Handler is what the public listener (cfg.ListenAddr) serves.
func (w *Webhook) Handler() http.Handler { return w.public }

// AdminHandler is what cfg.AdminListenAddr serves, or nil when it is unset
// and Handler serves everything.
func (w *Webhook) AdminHandler() http.Handler { return w.admin }

// Close closes the connections of Asynqmon and of the replicated enqueuer.
func (w *Webhook) Close() {
	for _, f := range w.close {
		f()
	}
}
