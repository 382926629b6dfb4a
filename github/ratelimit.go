package github

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// TokenInstallation is the installation label of a personal access token's
// rate limit; an App installation's is its numeric ID.
const TokenInstallation = "token"

// RateLimits exports GitHub's REST rate limit as the process last saw it,
// per installation: fgd_github_rate_limit_remaining, _limit and
// _reset_timestamp_seconds, from the X-RateLimit-* headers of every API
// answer. Each installation (and a token) has a budget of its own. A nil
// *RateLimits records nothing.
type RateLimits struct {
	remaining *prometheus.GaugeVec
	limit     *prometheus.GaugeVec
	reset     *prometheus.GaugeVec

	// Concurrent answers may arrive out of order; within one window the
	// remaining budget only falls, so a higher reading of the same window
	// is an older answer.
	mu   sync.Mutex
	last map[string]rateReading
}

type rateReading struct {
	remaining, limit int64
	reset            int64 // Unix seconds
}

// NewRateLimits creates the gauges and registers them on reg.
func NewRateLimits(reg prometheus.Registerer) (*RateLimits, error) {
	r := &RateLimits{
		remaining: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "fgd_github_rate_limit_remaining",
			Help: "GitHub API requests left in the current rate-limit window (X-RateLimit-Remaining of the last answer).",
		}, []string{"installation"}),
		limit: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "fgd_github_rate_limit_limit",
			Help: "GitHub API requests allowed per rate-limit window (X-RateLimit-Limit of the last answer).",
		}, []string{"installation"}),
		reset: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "fgd_github_rate_limit_reset_timestamp_seconds",
			Help: "Unix time the current GitHub rate-limit window resets (X-RateLimit-Reset of the last answer).",
		}, []string{"installation"}),
		last: map[string]rateReading{},
	}
	for _, c := range []prometheus.Collector{r.remaining, r.limit, r.reset} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register the GitHub rate-limit metrics: %w", err)
		}
	}
	return r, nil
}

// Transport wraps base so that every answer's rate-limit headers are
// recorded under installation (an App installation's ID, or
// TokenInstallation). A nil *RateLimits returns base unchanged.
func (r *RateLimits) Transport(installation string, base http.RoundTripper) http.RoundTripper {
	if r == nil {
		return base
	}
	if base == nil {
		base = http.DefaultTransport
	}
	return rateLimitTransport{r: r, installation: installation, base: base}
}

type rateLimitTransport struct {
	r            *RateLimits
	installation string
	base         http.RoundTripper
}

func (t rateLimitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if resp != nil {
		t.r.observe(t.installation, resp.Header)
	}
	return resp, err
}

// observe records the headers of one answer. Only the core REST budget
// counts (search and GraphQL have their own); an answer without the
// headers (GHES with rate limiting off, a proxy's error page) changes
// nothing.
func (r *RateLimits) observe(installation string, h http.Header) {
	if res := h.Get("X-RateLimit-Resource"); res != "" && res != "core" {
		return
	}
	remaining, err1 := strconv.ParseInt(h.Get("X-RateLimit-Remaining"), 10, 64)
	limit, err2 := strconv.ParseInt(h.Get("X-RateLimit-Limit"), 10, 64)
	reset, err3 := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || limit <= 0 || remaining < 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	prev, seen := r.last[installation]
	if seen && reset == prev.reset && remaining > prev.remaining {
		return // an older answer than the one recorded
	}
	r.last[installation] = rateReading{remaining: remaining, limit: limit, reset: reset}
	r.remaining.WithLabelValues(installation).Set(float64(remaining))
	r.limit.WithLabelValues(installation).Set(float64(limit))
	r.reset.WithLabelValues(installation).Set(float64(reset))
}
