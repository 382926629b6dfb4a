package github

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/githedgehog/fgd-sync/fgderr"
	"github.com/githedgehog/fgd-sync/internal/githubfake"
)

func TestAPIRateLimitIsTransientUntilReset(t *testing.T) {
	fake := githubfake.New(t, "tok")
	api, err := NewAPI(fake.URL, "tok", nil)
	if err != nil {
		t.Fatal(err)
	}
	fake.RateLimitNext(1, 2*time.Second)
	err = api.SetStatus(context.Background(), "acme/x", "abc", StatusSuccess, "fgd-sync/dc1", "ok")
	transient, after := fgderr.IsTransient(err)
	if !transient || after < time.Second || after > 5*time.Second || fgderr.CodeOf(err) == fgderr.GitHubAuth {
		t.Fatalf("rate limit: %v transient=%v after=%s", err, transient, after)
	}
	if fgderr.CodeOf(err) != fgderr.GitHubRateLimit {
		t.Fatalf("code: %v", err)
	}
}

func TestAPIBadCredentialsArePermanent(t *testing.T) {
	fake := githubfake.New(t, "right")
	api, _ := NewAPI(fake.URL, "wrong-token-value", nil)
	err := api.SetStatus(context.Background(), "acme/x", "abc", StatusSuccess, "c", "d")
	if transient, _ := fgderr.IsTransient(err); transient || fgderr.CodeOf(err) != fgderr.GitHubAuth || strings.Contains(err.Error(), "wrong-token-value") {
		t.Fatalf("bad credentials: %v", err)
	}
}

// TestBreakerOpensAndRecovers: five 5xx in a row open the host's breaker;
// calls then fail fast without reaching the host, until the cool-down lets
// a trial through.
func TestBreakerOpensAndRecovers(t *testing.T) {
	var hits atomic.Int64
	var healthy atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if !healthy.Load() {
			http.Error(w, `{"message":"Server Error"}`, http.StatusBadGateway)
			return
		}
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"id":1,"state":"success"}`))
	}))
	defer srv.Close()
	reg := prometheus.NewRegistry()
	b := NewBreakers(BreakerSettings{ConsecutiveFailures: 5, Cooldown: 200 * time.Millisecond}, reg)
	api, err := NewAPI(srv.URL+"/", "tok", &http.Client{Transport: b.Transport(nil)})
	if err != nil {
		t.Fatal(err)
	}
	call := func() error {
		return api.SetStatus(context.Background(), "acme/x", "abc", StatusSuccess, "c", "d")
	}
	for i := 0; i < 5; i++ {
		if transient, _ := fgderr.IsTransient(call()); !transient {
			t.Fatalf("a 502 must be transient")
		}
	}
	before := hits.Load()
	err = call()
	if transient, after := fgderr.IsTransient(err); !transient || after != 200*time.Millisecond || hits.Load() != before {
		t.Fatalf("open breaker: %v, hits %d→%d", err, before, hits.Load())
	}
	host := strings.TrimPrefix(srv.URL, "http://")
	if v := testutil.ToFloat64(b.state.WithLabelValues(host)); v != 2 {
		t.Fatalf("state metric %v, want 2 (open)", v)
	}
	healthy.Store(true)
	deadline := time.Now().Add(5 * time.Second)
	for call() != nil {
		if time.Now().After(deadline) {
			t.Fatal("the breaker never closed again")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if v := testutil.ToFloat64(b.state.WithLabelValues(host)); v != 0 {
		t.Fatalf("state metric %v, want 0 (closed)", v)
	}
}

// TestCheckRunWithManyAnnotations: 120 annotations go out as a create with
// 50 and two updates, as GitHub requires.
func TestCheckRunWithManyAnnotations(t *testing.T) {
	fake := githubfake.New(t, "tok")
	api, err := NewAPI(fake.URL, "tok", nil)
	if err != nil {
		t.Fatal(err)
	}
	var anns []Annotation
	for i := 0; i < 120; i++ {
		anns = append(anns, Annotation{Path: fmt.Sprintf("raw/f%03d.yaml", i), Line: i + 1, Title: "FGD_1003", Message: "bad"})
	}
	if err := api.CreateCheckRun(context.Background(), "acme/x", "abc", "fgd-sync/dc1", "failure", "t", "s", anns); err != nil {
		t.Fatal(err)
	}
	runs := fake.CheckRuns()
	if len(runs) != 1 || len(runs[0].Annotations) != 120 || runs[0].Annotations[119].GetPath() != "raw/f119.yaml" {
		t.Fatalf("check runs: %d, annotations %d", len(runs), len(runs[0].Annotations))
	}
	patches := 0
	for _, c := range fake.Calls() {
		if strings.HasPrefix(c, "PATCH /repos/acme/x/check-runs/") {
			patches++
		}
	}
	if patches != 2 {
		t.Fatalf("%d updates, want 2", patches)
	}
}
