package github

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sony/gobreaker/v2"

	"github.com/githedgehog/fgd-sync/fgderr"
)

// BreakerSettings tune the circuit breakers.
type BreakerSettings struct {
	// Failures in a row that open a breaker.
	ConsecutiveFailures uint32
	// Cooldown is how long an open breaker fails fast before it lets one
	// trial call through.
	Cooldown time.Duration
}

// DefaultBreakerSettings: 5 failures in a row, 30 s of cool-down.
var DefaultBreakerSettings = BreakerSettings{ConsecutiveFailures: 5, Cooldown: 30 * time.Second}

// Breakers holds one circuit breaker per remote host, shared by the GitHub
// API and git: after repeated failures, calls to that host fail fast as
// transient errors until the cool-down passes, so an outage does not burn
// every task's retries. Its states are exported as the gauge
// fgd_circuit_breaker_state{host} (0 closed, 1 half-open, 2 open).
type Breakers struct {
	settings BreakerSettings
	state    *prometheus.GaugeVec

	mu sync.Mutex
	m  map[string]*gobreaker.CircuitBreaker[any]
}

// NewBreakers returns the breakers; reg may be nil.
func NewBreakers(s BreakerSettings, reg prometheus.Registerer) *Breakers {
	b := &Breakers{settings: s, m: map[string]*gobreaker.CircuitBreaker[any]{},
		state: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "fgd_circuit_breaker_state",
			Help: "Circuit breaker state per remote host: 0 closed, 1 half-open, 2 open.",
		}, []string{"host"})}
	if reg != nil {
		reg.MustRegister(b.state)
	}
	return b
}

// errServerFailure marks a 5xx answer, which counts against the breaker
// but is still handed to the caller.
var errServerFailure = errors.New("server failure")

func (b *Breakers) get(host string) *gobreaker.CircuitBreaker[any] {
	b.mu.Lock()
	defer b.mu.Unlock()
	if cb, ok := b.m[host]; ok {
		return cb
	}
	cb := gobreaker.NewCircuitBreaker[any](gobreaker.Settings{
		Name:        host,
		MaxRequests: 1,
		Timeout:     b.settings.Cooldown,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= b.settings.ConsecutiveFailures },
		OnStateChange: func(name string, _, to gobreaker.State) {
			b.state.WithLabelValues(name).Set(float64(to))
		},
		// Only what says the host is unwell counts: not a 404, not a
		// rejected push, not bad credentials.
		IsSuccessful: func(err error) bool {
			if err == nil {
				return true
			}
			if errors.Is(err, errServerFailure) {
				return false
			}
			if fgderr.CodeOf(err) == fgderr.GitHubRateLimit {
				return true
			}
			transient, _ := fgderr.IsTransient(err)
			return !transient
		},
	})
	b.state.WithLabelValues(host).Set(0)
	b.m[host] = cb
	return cb
}

// State returns a host's breaker state.
func (b *Breakers) State(host string) gobreaker.State { return b.get(host).State() }

// Do runs f under host's breaker. An open breaker answers a transient
// FGD_4001 at once.
func (b *Breakers) Do(host string, f func() error) error {
	if b == nil {
		return f()
	}
	_, err := b.get(host).Execute(func() (any, error) { return nil, f() })
	if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) {
		return &fgderr.Error{Code: fgderr.GitHubConnection, Msg: "calls to " + host + " are paused after repeated failures (circuit breaker open)", Transient: true, RetryAfter: b.settings.Cooldown}
	}
	return err
}

// HostOf is the breaker key of a URL.
func HostOf(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return "local"
	}
	return strings.ToLower(u.Host)
}

// Transport wraps an http.RoundTripper with the breakers.
func (b *Breakers) Transport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return breakerTransport{b: b, base: base}
}

type breakerTransport struct {
	b    *Breakers
	base http.RoundTripper
}

func (t breakerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var resp *http.Response
	err := t.b.Do(strings.ToLower(req.URL.Host), func() error {
		var err error
		resp, err = t.base.RoundTrip(req)
		if err != nil {
			return fgderr.Retryable(fgderr.GitHubConnection, "GitHub API unreachable", err)
		}
		if resp.StatusCode >= 500 {
			return errServerFailure
		}
		return nil
	})
	if errors.Is(err, errServerFailure) {
		return resp, nil
	}
	return resp, err
}
