package handlers

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/githedgehog/fgd-sync/internal/testredis"
	"github.com/githedgehog/fgd-sync/internal/yardstick"
	"github.com/githedgehog/fgd-sync/redisconn"
	"github.com/githedgehog/fgd-sync/registry"
)

// The test binary re-runs itself as a receiver process when benchChildEnv
// names a role, on the Redis at benchRedisEnv.
const (
	benchChildEnv = "FGD_BENCH_RECEIVER"
	benchRedisEnv = "FGD_BENCH_REDIS_URL"
	roleWebhook   = "webhook"
	roleYardstick = "yardstick"
)

// runBenchChild serves one receiver on a loopback port, prints its address
// as the first line of stdout, and runs until stdin closes.
func runBenchChild(role, redisURL string) int {
	rdb, err := redisconn.Open(redisURL)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	var handler http.Handler
	switch role {
	case roleWebhook:
		// As cmd/webhook wires it: JSON logs on stdout at info, metrics on
		// their own registry, the registry held in memory, the default
		// memory budget.
		log := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: slog.LevelInfo}))
		reg := prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
		handler = NewRouter(RouterConfig{
			Webhook: &WebhookHandler{
				Secrets: [][]byte{[]byte(testSecret)},
				Fabrics: registry.NewCache(registry.New(rdb, ""), registry.DefaultCacheMaxAge),
				Queue:   asynq.NewClientFromRedisClient(rdb),
				Metrics: NewMetrics(reg),
				Logger:  log,
			},
			Redis:    RedisPinger(func(ctx context.Context) error { return rdb.Ping(ctx).Err() }),
			Gatherer: reg,
			Logger:   log,
		})
	case roleYardstick:
		handler = yardstick.Router(&yardstick.Receiver{Secret: []byte(testSecret), Queue: asynq.NewClientFromRedisClient(rdb)})
	default:
		fmt.Fprintln(os.Stderr, "unknown role", role)
		return 2
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(ln.Addr().String())
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second}
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		_ = srv.Close()
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// receiver is a receiver process started by the benchmark.
type receiver struct {
	url string
	pid int
}

func startReceiver(b *testing.B, role, redisURL string) *receiver {
	b.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), benchChildEnv+"="+role, benchRedisEnv+"="+redisURL)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = stdin.Close()
		_ = cmd.Wait()
	})
	out := bufio.NewReader(stdout)
	addr, err := out.ReadString('\n')
	if err != nil {
		b.Fatalf("%s receiver did not start: %v", role, err)
	}
	go func() { _, _ = io.Copy(io.Discard, out) }() // its logs
	return &receiver{url: "http://" + strings.TrimSpace(addr) + "/webhooks/github", pid: cmd.Process.Pid}
}

// kib reads a field of the process's /proc status, in KiB.
func (r *receiver) kib(field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", r.pid))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			var n int64
			_, _ = fmt.Sscan(strings.TrimSpace(rest), &n)
			return n
		}
	}
	return -1
}

// cpu is the process's user and system time so far.
func (r *receiver) cpu() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", r.pid))
	if err != nil {
		return 0
	}
	// The fields after the command name, which is in parentheses.
	fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	var utime, stime int64
	_, _ = fmt.Sscan(fields[11], &utime)
	_, _ = fmt.Sscan(fields[12], &stime)
	return time.Duration(utime+stime) * time.Second / clockTicks
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat's times: 100 on
// every Linux architecture Go supports.
const clockTicks = 100

// maxRate drives url with conns closed-loop connections for d and returns
// the 202 answers per second.
func maxRate(b *testing.B, url string, gen *pushGen, conns int, d time.Duration) (float64, int64) {
	b.Helper()
	client := benchClient(conns)
	defer client.CloseIdleConnections()
	var accepted, failed atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				body, sig, delivery := gen.next()
				if code, err := deliver(client, url, body, sig, delivery); err == nil && code == http.StatusAccepted {
					accepted.Add(1)
				} else {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if f := failed.Load(); f > 0 {
		b.Fatalf("%s: %d deliveries not accepted", url, f)
	}
	return float64(accepted.Load()) / time.Since(start).Seconds(), accepted.Load()
}

// fixedRate offers rate deliveries a second for d, open loop, and returns
// the latencies and the deliveries not accepted.
func fixedRate(url string, gen *pushGen, rate int, d time.Duration) ([]time.Duration, int64) {
	// At most 128 connections, as a load balancer in front would keep:
	// a delivery that finds none free waits, and its latency shows it.
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 128, MaxConnsPerHost: 128}}
	defer client.CloseIdleConnections()
	var mu sync.Mutex
	var latencies []time.Duration
	var failed atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	total := int(d.Seconds() * float64(rate))
	for i := 0; i < total; i++ {
		if wait := time.Until(start.Add(time.Duration(i) * time.Second / time.Duration(rate))); wait > 0 {
			time.Sleep(wait)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			body, sig, delivery := gen.next()
			t0 := time.Now()
			code, err := deliver(client, url, body, sig, delivery)
			took := time.Since(t0)
			if err != nil || code != http.StatusAccepted {
				failed.Add(1)
				return
			}
			mu.Lock()
			latencies = append(latencies, took)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return latencies, failed.Load()
}

// BenchmarkReceivers compares fgd-sync's webhook with the yardstick, each
// in a process of its own, on one redis-server with AOF (appendfsync
// everysec) that the benchmark starts: the max rate of each, in alternating
// rounds, and the ratio of the medians (goal: at least 1.05). Then the
// webhook's RSS under 5,000 deliveries a second (goal: at most 100 MiB).
// Run it with -benchtime 1x.
func BenchmarkReceivers(b *testing.B) {
	const (
		conns  = 32
		rounds = 3
		window = 3 * time.Second
		rate   = 5000
	)
	rs := testredis.NewPrivate(b, testredis.Options{AOF: true})
	if rs.Kind != testredis.KindProcess {
		b.Fatal("the comparison needs a redis-server with AOF; install redis-server")
	}
	rdb, err := redisconn.Open(rs.URL)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = rdb.Close() })
	gen := newPushGen(b)
	// fresh empties Redis between measurements (the queue would otherwise
	// grow by every accepted delivery) and registers the fabrics again; it
	// returns once the webhook routes with them.
	fresh := func(webhook *receiver) {
		ctx := context.Background()
		if err := rdb.FlushAll(ctx).Err(); err != nil {
			b.Fatal(err)
		}
		if _, err := registry.New(rdb, "").UpsertAll(ctx, testFabrics()); err != nil {
			b.Fatal(err)
		}
		client := benchClient(1)
		deadline := time.Now().Add(5 * time.Second)
		for {
			body, sig, delivery := gen.next()
			if code, err := deliver(client, webhook.url, body, sig, delivery); err == nil && code == http.StatusAccepted {
				return
			}
			if time.Now().After(deadline) {
				b.Fatal("the webhook does not route after the registry was written")
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	for range b.N {
		webhook := startReceiver(b, roleWebhook, rs.URL)
		stick := startReceiver(b, roleYardstick, rs.URL)
		fresh(webhook)
		_, _ = maxRate(b, webhook.url, gen, conns, time.Second) // warm up both
		_, _ = maxRate(b, stick.url, gen, conns, time.Second)

		var ours, theirs []float64
		cpuPer := map[*receiver][]float64{}
		for round := range rounds {
			order := []*receiver{webhook, stick}
			if round%2 == 1 {
				order = []*receiver{stick, webhook}
			}
			for _, r := range order {
				fresh(webhook)
				cpu0 := r.cpu()
				got, n := maxRate(b, r.url, gen, conns, window)
				cpuPer[r] = append(cpuPer[r], float64((r.cpu()-cpu0).Microseconds())/float64(n))
				if r == webhook {
					ours = append(ours, got)
				} else {
					theirs = append(theirs, got)
				}
			}
		}
		ratio := median(ours) / median(theirs)
		b.Logf("max rate, %d connections, %s windows, AOF everysec: webhook %s/s, yardstick %s/s; ratio of medians %.2f (goal >= 1.05)",
			conns, window, fmtRates(ours), fmtRates(theirs), ratio)
		b.Logf("receiver CPU per accepted delivery: webhook %s µs, yardstick %s µs", fmtRates(cpuPer[webhook]), fmtRates(cpuPer[stick]))
		b.ReportMetric(median(ours), "webhook-req/s")
		b.ReportMetric(median(theirs), "yardstick-req/s")
		b.ReportMetric(ratio, "ratio")

		// RSS at a fixed rate, on a webhook process of its own so that its
		// peak is this load's alone.
		steady := startReceiver(b, roleWebhook, rs.URL)
		fresh(steady)
		var peakRSS atomic.Int64
		stop := make(chan struct{})
		sampled := make(chan struct{})
		go func() {
			defer close(sampled)
			for {
				peakRSS.Store(max(peakRSS.Load(), steady.kib("VmRSS")))
				select {
				case <-stop:
					return
				case <-time.After(50 * time.Millisecond):
				}
			}
		}()
		start := time.Now()
		latencies, failed := fixedRate(steady.url, gen, rate, 5*time.Second)
		took := time.Since(start)
		close(stop)
		<-sampled
		hwm := steady.kib("VmHWM")
		b.Logf("at %d deliveries/s offered for 5 s: %d accepted (%.0f/s), %d not, p50 %.2f ms, p99 %.2f ms; webhook RSS max %d MiB, VmHWM %d MiB (goal <= 100 MiB)",
			rate, len(latencies), float64(len(latencies))/took.Seconds(), failed, percentileMs(latencies, .5), percentileMs(latencies, .99), peakRSS.Load()>>10, hwm>>10)
		b.ReportMetric(float64(hwm)/1024, "webhook-peak-MiB")
		if failed > 0 {
			b.Errorf("%d deliveries not accepted at %d/s", failed, rate)
		}
		if hwm > 100<<10 {
			b.Errorf("webhook peak RSS %d MiB at %d/s, goal 100 MiB", hwm>>10, rate)
		}
	}
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

func fmtRates(xs []float64) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprintf("%.0f", x)
	}
	return strings.Join(parts, ", ")
}
