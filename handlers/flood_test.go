package handlers

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gh "github.com/google/go-github/v60/github"

	"github.com/githedgehog/fgd-sync/internal/syncbuf"
	"github.com/githedgehog/fgd-sync/internal/testredis"
	"github.com/githedgehog/fgd-sync/internal/webhooktest"
)

// webhookProcess is cmd/webhook built and running on its own Redis.
type webhookProcess struct {
	url string
	cmd *exec.Cmd
}

// startWebhook builds cmd/webhook and runs it with env (on top of a
// production configuration on rs), waiting until it is ready.
func startWebhook(t *testing.T, rs *testredis.Server, env ...string) *webhookProcess {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "webhook")
	build := exec.Command("go", "build", "-o", bin, "github.com/githedgehog/fgd-sync/cmd/webhook")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build cmd/webhook: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()

	cmd := exec.Command(bin)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HEDGEHOG_FGD_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env,
		"HEDGEHOG_FGD_REDIS_URL="+rs.URL,
		"HEDGEHOG_FGD_GITHUB_WEBHOOK_SECRET="+testSecret,
		"HEDGEHOG_FGD_ADMIN_TOKEN="+testAdminToken,
		"HEDGEHOG_FGD_LISTEN_ADDR="+addr,
		"HEDGEHOG_FGD_LOG_LEVEL=warn",
	)
	cmd.Env = append(cmd.Env, env...)
	stderr := &syncbuf.Buffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	p := &webhookProcess{url: "http://" + addr, cmd: cmd}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(p.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("cmd/webhook not ready within 30 s: %v\n%s", err, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// status reads a field of /proc/<pid>/status, in KiB.
func (p *webhookProcess) status(t testing.TB, field string) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		t.Fatalf("read the webhook's status: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kib, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return kib
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, p.cmd.Process.Pid)
	return 0
}

// TestMemoryFlood is the measured case of the public port: 32 concurrent
// 25 MiB bodies with a bad signature, sent to a real cmd/webhook on its own
// redis-server with the default 64 MiB budget. Each is answered 401 or 503;
// the process's peak RSS (VmHWM) stays within 256 MiB; signed pings sent
// meanwhile are each answered 200 within 1 s.
func TestMemoryFlood(t *testing.T) {
	rs := testredis.NewPrivate(t, testredis.Options{})
	p := startWebhook(t, rs)
	before := p.status(t, "VmHWM")

	const flood, size = 32, MaxWebhookBody
	junk := bytes.Repeat([]byte{'{'}, size) // one copy, shared by every request
	badSig := webhooktest.Sign("an attacker's guess", junk)
	answers := make([]string, flood)
	var wg sync.WaitGroup
	floodDone := make(chan struct{})
	start := time.Now()
	for i := range flood {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, _, out, err := post(p.url, bytes.NewReader(junk), size, deliveryHeaders("push", fmt.Sprintf("flood-%d", i), badSig))
			answers[i] = fmt.Sprintf("%d %v", code, bodyErrorCode(out))
			if err != nil {
				answers[i] += " " + err.Error()
			}
		}()
	}
	go func() { wg.Wait(); close(floodDone) }()

	ping := webhooktest.MustJSON(t, &gh.PingEvent{Zen: gh.String("Non-blocking is better than blocking."), HookID: gh.Int64(42)})
	var pings []time.Duration
	duringFlood := 0
	for done := false; !done; {
		select {
		case <-floodDone:
			done = true
		default:
		}
		t0 := time.Now()
		code, _, out, err := post(p.url, bytes.NewReader(ping), int64(len(ping)), deliveryHeaders("ping", testredis.Unique("ping"), webhooktest.Sign(testSecret, ping)))
		took := time.Since(t0)
		if err != nil || code != http.StatusOK || out["status"] != "ignored" {
			t.Fatalf("ping during the flood: %d %v %v", code, out, err)
		}
		if took > time.Second {
			t.Fatalf("ping during the flood answered after %s, want within 1 s", took)
		}
		pings = append(pings, took)
		select {
		case <-floodDone:
		default:
			duringFlood++
		}
		if !done {
			select {
			case <-floodDone:
			case <-time.After(50 * time.Millisecond): // pace the pings
			}
		}
	}
	floodTook := time.Since(start)
	peak := p.status(t, "VmHWM")

	counts := map[string]int{}
	for _, a := range answers {
		counts[a]++
	}
	if counts["401 FGD_6002"]+counts["503 FGD_5004"] != flood {
		t.Fatalf("answers %v: want each 401 FGD_6002 or 503 FGD_5004", counts)
	}
	if duringFlood == 0 {
		t.Fatal("no ping was answered while the flood was still running")
	}
	slowest := time.Duration(0)
	for _, d := range pings {
		slowest = max(slowest, d)
	}
	t.Logf("flood of %d × 25 MiB bad-signature bodies: %v in %s", flood, counts, floodTook.Round(time.Millisecond))
	t.Logf("webhook peak RSS (VmHWM): %d MiB before, %d MiB after the flood (limit 256 MiB)", before>>10, peak>>10)
	t.Logf("signed pings: %d sent, %d answered while the flood ran, slowest %s (limit 1 s)", len(pings), duringFlood, slowest.Round(time.Microsecond))
	if peak > 256<<10 {
		t.Fatalf("peak RSS %d MiB, want at most 256 MiB", peak>>10)
	}
}
