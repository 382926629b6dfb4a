package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/githedgehog/fgd-sync/internal/testredis"
	"github.com/githedgehog/fgd-sync/internal/webhooktest"
	"github.com/githedgehog/fgd-sync/redisconn"
	"github.com/githedgehog/fgd-sync/registry"
)

// benchServer is the webhook server on a private Redis with AOF on
// (appendfsync everysec), as production runs it, with the registry in
// Redis and held in memory.
func benchServer(b *testing.B) (string, *http.Client) {
	b.Helper()
	rs := testredis.NewPrivate(b, testredis.Options{AOF: true})
	rdb, err := redisconn.Open(rs.URL)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = rdb.Close() })
	reg := registry.New(rdb, "")
	if _, err := reg.UpsertAll(context.Background(), testFabrics()); err != nil {
		b.Fatal(err)
	}
	h := &WebhookHandler{
		Secrets: [][]byte{[]byte(testSecret)},
		Fabrics: registry.NewCache(reg, registry.DefaultCacheMaxAge),
		Queue:   asynq.NewClientFromRedisClient(rdb),
		Metrics: NewMetrics(prometheus.NewRegistry()),
		Logger:  slog.New(slog.NewJSONHandler(io.Discard, nil)),
	}
	srv := httptest.NewServer(NewRouter(RouterConfig{Webhook: h, Redis: RedisPinger(func(ctx context.Context) error { return rdb.Ping(ctx).Err() }), Logger: h.Logger}))
	b.Cleanup(srv.Close)
	return srv.URL + "/webhooks/github", benchClient(256)
}

func benchClient(conns int) *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns}}
}

// pushGen makes signed pushes, each a push of its own (its after commit is
// a counter), so that none is a duplicate of another.
type pushGen struct {
	template []byte
	prefix   string
	n        atomic.Int64
}

// afterPlaceholder stands for the after commit in the template.
const afterPlaceholder = "AFTERAFTERAFTERAFTERAFTERAFTERAFTERAFTER"

// testdataAfter is the after commit of testdata/push.json.
const testdataAfter = "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c"

// newPushGen returns pushes shaped as GitHub sends them: testdata/push.json
// (two commits, the full repository, organization and sender objects),
// compact, about 8.6 KB.
func newPushGen(tb testing.TB) *pushGen {
	var compact bytes.Buffer
	if err := json.Compact(&compact, readTestdata(tb, "push.json")); err != nil {
		tb.Fatal(err)
	}
	template := bytes.ReplaceAll(compact.Bytes(), []byte(testdataAfter), []byte(afterPlaceholder))
	return &pushGen{template: template, prefix: testredis.Unique("push")}
}

func (g *pushGen) next() (body []byte, sig, delivery string) {
	i := g.n.Add(1)
	body = bytes.ReplaceAll(g.template, []byte(afterPlaceholder), fmt.Appendf(nil, "%040x", i))
	return body, webhooktest.Sign(testSecret, body), fmt.Sprintf("%s-%d", g.prefix, i)
}

func deliver(client *http.Client, url string, body []byte, sig, delivery string) (int, error) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "push")
	req.Header.Set("X-GitHub-Delivery", delivery)
	req.Header.Set("X-Hub-Signature-256", sig)
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// BenchmarkWebhookDelivery measures signed delivery → durable enqueue, end to
// end over HTTP on loopback, as fast as the server takes them.
func BenchmarkWebhookDelivery(b *testing.B) {
	url, client := benchServer(b)
	gen := newPushGen(b)
	b.SetBytes(int64(len(gen.template)))
	b.SetParallelism(16)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			body, sig, delivery := gen.next()
			code, err := deliver(client, url, body, sig, delivery)
			if err != nil || code != http.StatusAccepted {
				b.Errorf("delivery: %d %v", code, err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "deliveries/s")
}

// BenchmarkWebhookFixedRate offers 1,000 deliveries a second for 3 s per
// iteration and reports the latency percentiles. Run it with -benchtime 1x.
func BenchmarkWebhookFixedRate(b *testing.B) {
	url, client := benchServer(b)
	gen := newPushGen(b)
	const rate = 1000
	total := 3 * rate * b.N
	latencies := make([]time.Duration, total)
	var wg sync.WaitGroup
	var failures atomic.Int64
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < total; i++ {
		// Open-loop arrivals: request i is due at start + i/rate, whatever
		// the earlier ones are doing.
		if d := time.Until(start.Add(time.Duration(i) * time.Second / rate)); d > 0 {
			time.Sleep(d)
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			body, sig, delivery := gen.next()
			t0 := time.Now()
			code, err := deliver(client, url, body, sig, delivery)
			latencies[i] = time.Since(t0)
			if err != nil || code != http.StatusAccepted {
				failures.Add(1)
			}
		}(i)
	}
	wg.Wait()
	b.StopTimer()
	if f := failures.Load(); f > 0 {
		b.Fatalf("%d of %d deliveries failed", f, total)
	}
	b.ReportMetric(percentileMs(latencies, 0.50), "p50-ms")
	b.ReportMetric(percentileMs(latencies, 0.99), "p99-ms")
	b.ReportMetric(float64(total)/time.Since(start).Seconds(), "offered/s")
}

// percentileMs sorts latencies and returns the p-th one in milliseconds.
func percentileMs(latencies []time.Duration, p float64) float64 {
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	if len(latencies) == 0 {
		return 0
	}
	return float64(latencies[int(p*float64(len(latencies)-1))].Microseconds()) / 1000
}
