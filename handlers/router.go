package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/githedgehog/fgd-sync/fgderr"
	"github.com/githedgehog/fgd-sync/internal/buildinfo"
)

// Pinger checks that Redis answers.
type Pinger interface {
	Ping(ctx context.Context) error
}

// RouterConfig is what NewRouter wires together.
type RouterConfig struct {
	// Webhook serves POST /webhooks/github; nil: no webhook route (the
	// admin listener of HEDGEHOG_FGD_ADMIN_LISTEN_ADDR).
	Webhook  http.Handler
	Redis    Pinger
	Gatherer prometheus.Gatherer // nil disables /metrics
	Logger   *slog.Logger
	// Admin serves /api/v1 (AdminAPI.Routes); nil: no admin API.
	Admin http.Handler
	// Monitoring is Asynqmon, already behind BasicAuth; nil: none.
	Monitoring http.Handler
}

// readyTimeout bounds /readyz so that a probe never hangs on a dead Redis.
const readyTimeout = 900 * time.Millisecond

// NewRouter returns the webhook server's routes.
func NewRouter(c RouterConfig) http.Handler {
	r := chi.NewRouter()
	r.Use(middleware.Recoverer)
	if c.Webhook != nil {
		r.Method(http.MethodPost, "/webhooks/github", c.Webhook)
	}
	r.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	r.Get("/readyz", func(w http.ResponseWriter, req *http.Request) {
		ctx, cancel := context.WithTimeout(req.Context(), readyTimeout)
		defer cancel()
		if err := c.Redis.Ping(ctx); err != nil {
			c.Logger.Warn("readiness check failed: Redis does not answer", "error", err)
			writeError(w, fgderr.Redis, "Redis does not answer")
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
	if c.Admin != nil {
		// The build is for operators: served where the admin API is.
		r.Get("/version", func(w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, http.StatusOK, buildinfo.Get())
		})
		r.Mount("/api/v1", c.Admin)
	}
	if c.Monitoring != nil {
		r.Handle("/monitoring", c.Monitoring)
		r.Handle("/monitoring/*", c.Monitoring)
	}
	if c.Gatherer != nil {
		r.Method(http.MethodGet, "/metrics", promhttp.HandlerFor(c.Gatherer, promhttp.HandlerOpts{}))
	}
	r.NotFound(func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, fgderr.NotFound, "no such endpoint")
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, req *http.Request) {
		allowed := allowedMethods(r, req)
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		writeError(w, fgderr.MethodNotAllowed, req.Method+" is not served here; use "+strings.Join(allowed, " or "))
	})
	return r
}

// routeMethods are the methods a 405 answer may list in Allow.
var routeMethods = []string{
	http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
	http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace,
}

// allowedMethods lists the methods routes serves at the request's path,
// mounted sub-routers included. chi keeps the list it found private when a
// custom 405 handler is set, so the tree is asked once per method.
func allowedMethods(routes chi.Routes, req *http.Request) []string {
	path := req.URL.RawPath // what chi routes on
	if path == "" {
		path = req.URL.Path
	}
	var allowed []string
	for _, m := range routeMethods {
		if routes.Find(chi.NewRouteContext(), m, path) != "" {
			allowed = append(allowed, m)
		}
	}
	return allowed
}

// RedisPinger adapts a go-redis client's Ping to Pinger.
type RedisPinger func(ctx context.Context) error

// Ping calls the function.
func (p RedisPinger) Ping(ctx context.Context) error { return p(ctx) }
