package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/githedgehog/fgd-sync/internal/webhooktest"
	gh "github.com/google/go-github/v60/github"
)

// post sends one delivery; it may run on any goroutine. length < 0 sends the
// body chunked.
func post(url string, body io.Reader, length int64, headers map[string]string) (int, http.Header, map[string]any, error) {
	hr, err := http.NewRequest(http.MethodPost, url+"/webhooks/github", body)
	if err != nil {
		return 0, nil, nil, err
	}
	hr.ContentLength = length
	for k, v := range headers {
		hr.Header.Set(k, v)
	}
	resp, err := (&http.Client{Timeout: 20 * time.Second}).Do(hr)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	out := map[string]any{}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return resp.StatusCode, resp.Header, nil, fmt.Errorf("answer %d is not JSON: %w", resp.StatusCode, err)
	}
	return resp.StatusCode, resp.Header, out, nil
}

func deliveryHeaders(event, delivery, sig string) map[string]string {
	return map[string]string{"Content-Type": "application/json", "X-GitHub-Event": event, "X-GitHub-Delivery": delivery, "X-Hub-Signature-256": sig}
}

func bodyErrorCode(out map[string]any) any {
	e, _ := out["error"].(map[string]any)
	return e["code"]
}

// TestBufferClasses: bodies up to 1 MiB get pooled buffers in power-of-two
// classes, which the budget counts whole; larger ones are never pooled.
func TestBufferClasses(t *testing.T) {
	tests := []struct {
		n    int64
		size int64 // 0: not pooled
	}{
		{0, 4 << 10}, {1, 4 << 10}, {4 << 10, 4 << 10}, {4<<10 + 1, 8 << 10}, {6000, 8 << 10},
		{1<<20 - 1, 1 << 20}, {1 << 20, 1 << 20}, {1<<20 + 1, 0}, {25 << 20, 0},
	}
	b := newMemoryBudget(DefaultMemoryBytes)
	for _, tc := range tests {
		c := class(tc.n)
		if tc.size == 0 {
			if c != -1 {
				t.Errorf("%d bytes: class %d, want not pooled", tc.n, c)
			}
			continue
		}
		if c < 0 || classSize(c) != tc.size {
			t.Errorf("%d bytes: class %d, want size %d", tc.n, c, tc.size)
		}
	}
	// A buffer over 1 MiB goes back to no pool; a class-sized one does.
	big := make([]byte, 0, 2<<20)
	big = append(big, 'x')
	b.recycle(big)
	for c := range b.pools {
		if p, ok := b.pools[c].Get().(*[]byte); ok && cap(*p) > pooledMax {
			t.Fatalf("a %d-byte buffer was pooled", cap(*p))
		}
	}
}

// TestBudgetLanes: with an 8 MiB budget (1 MiB for small bodies, 7 MiB for
// large ones), a 5 MiB body being sent holds its share once most of it has
// arrived; a second one cannot
// get its share and is answered 503 FGD_5004 with Retry-After after
// BudgetWait; a signed ping meanwhile is served at once from its own lane;
// once the first body is in and judged, the budget is whole again.
func TestBudgetLanes(t *testing.T) {
	f := newFixtureWith(t, nil, func(h *WebhookHandler) { h.MemoryBytes = 8 << 20 })
	const size = 5 << 20
	junk := bytes.Repeat([]byte("x"), size)
	badSig := webhooktest.Sign("not the secret", junk)

	slowBody, sender := io.Pipe()
	firstDone := make(chan string, 1)
	go func() {
		code, _, out, err := post(f.server.URL, slowBody, size, deliveryHeaders("push", "slow", badSig))
		firstDone <- fmt.Sprintf("%d %v %v", code, bodyErrorCode(out), err)
	}()
	// A body's share grows as it arrives: past 4 MiB of its 5 MiB, it holds
	// all 5, and the 7 MiB large lane cannot give 3 MiB more.
	const sent = 4<<20 + 1
	if _, err := sender.Write(junk[:sent]); err != nil {
		t.Fatal(err)
	}
	budget := f.handler.budget()
	deadline := time.Now().Add(10 * time.Second)
	for budget.large.TryAcquire(3 << 20) {
		budget.large.Release(3 << 20)
		if time.Now().After(deadline) {
			t.Fatal("the first body never took its share")
		}
		time.Sleep(5 * time.Millisecond)
	}

	code, header, out, err := post(f.server.URL, bytes.NewReader(junk), size, deliveryHeaders("push", "second", badSig))
	if err != nil || code != http.StatusServiceUnavailable || bodyErrorCode(out) != "FGD_5004" || header.Get("Retry-After") == "" {
		t.Fatalf("second large body: %d %v %v, Retry-After %q; want 503 FGD_5004 with Retry-After", code, out, err, header.Get("Retry-After"))
	}
	ping := webhooktest.MustJSON(t, &gh.PingEvent{Zen: gh.String("Design for failure."), HookID: gh.Int64(7)})
	code, _, out, err = post(f.server.URL, bytes.NewReader(ping), int64(len(ping)), deliveryHeaders("ping", "ping", webhooktest.Sign(testSecret, ping)))
	if err != nil || code != http.StatusOK || out["status"] != "ignored" {
		t.Fatalf("ping while the large lane is taken: %d %v %v", code, out, err)
	}

	if _, err := sender.Write(junk[sent:]); err != nil {
		t.Fatal(err)
	}
	_ = sender.Close()
	if got := <-firstDone; got != "401 FGD_6002 <nil>" {
		t.Fatalf("first body: %s, want 401 FGD_6002", got)
	}
	if !budget.large.TryAcquire(budget.largeSize) || !budget.small.TryAcquire(budget.smallSize) {
		t.Fatal("the budget is not whole again after every request was answered")
	}
	budget.large.Release(budget.largeSize)
	budget.small.Release(budget.smallSize)
}

// TestBodySizes: bodies with and without a length, pooled and not, arrive
// whole (the signature checks every byte) and route; a body larger than
// the budget's lane could ever give is refused with 413, not left waiting.
func TestBodySizes(t *testing.T) {
	large := webhooktest.PushEvent(testRepo, "refs/heads/main", "fabrics/dc1/raw/a.yaml")
	for i := 0; i < 15_000; i++ { // about 3.2 MiB
		large.Commits[0].Modified = append(large.Commits[0].Modified, fmt.Sprintf("docs/notes/%06d-%s.md", i, strings.Repeat("n", 200)))
	}
	tests := []struct {
		name    string
		ev      *gh.PushEvent
		chunked bool
		budget  int64
		status  int
		code    string
	}{
		{name: "small with length", ev: webhooktest.PushEvent(testRepo, "refs/heads/main", "fabrics/dc1/raw/a.yaml"), status: 202},
		{name: "small chunked", ev: webhooktest.PushEvent(testRepo, "refs/heads/main", "fabrics/dc1/raw/a.yaml"), chunked: true, status: 202},
		{name: "3 MiB with length", ev: large, status: 202},
		{name: "3 MiB chunked", ev: large, chunked: true, status: 202},
		{name: "3 MiB over a 2 MiB budget", ev: large, budget: 2 << 20, status: 413, code: "FGD_1006"},
		{name: "3 MiB chunked over a 2 MiB budget", ev: large, chunked: true, budget: 2 << 20, status: 413, code: "FGD_1006"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixtureWith(t, nil, func(h *WebhookHandler) { h.MemoryBytes = tc.budget })
			ev := *tc.ev
			ev.After = gh.String(randomSHA())
			body := webhooktest.MustJSON(t, &ev)
			resp, out := f.send(webhooktest.Request{Event: "push", Body: body, Chunked: tc.chunked})
			if resp.StatusCode != tc.status {
				t.Fatalf("%d %v, want %d", resp.StatusCode, out, tc.status)
			}
			if tc.code != "" {
				if bodyErrorCode(out) != tc.code || !strings.Contains(fmt.Sprint(out), "HEDGEHOG_FGD_WEBHOOK_MEMORY_BYTES") {
					t.Fatalf("%v, want %s naming the budget's variable", out, tc.code)
				}
				return
			}
			if n := len(f.tasks()); n != 1 {
				t.Fatalf("%d tasks, want 1", n)
			}
		})
	}
}

// TestStalledSendersHoldOnlyWhatTheySent: senders that announce a large
// Content-Length, send a byte and stall must not take the budget honest
// deliveries need: a body's share grows with what has arrived.
func TestStalledSendersHoldOnlyWhatTheySent(t *testing.T) {
	b := newMemoryBudget(64 << 20) // the default: an 8 MiB lane for small bodies
	var stalled []*io.PipeWriter
	done := make(chan struct{})
	wrote := make(chan struct{}, 128) // a byte is read only once its reader holds its share
	for i := 0; i < 64; i++ {
		for _, announced := range []int64{1 << 20, 20 << 20} {
			pr, pw := io.Pipe()
			stalled = append(stalled, pw)
			r := httptest.NewRequest(http.MethodPost, "/webhooks/github", pr)
			r.ContentLength = announced
			go func() {
				defer func() { done <- struct{}{} }()
				if held, _ := b.readBody(httptest.NewRecorder(), r); held != nil {
					held.free()
				}
			}()
			go func() {
				if _, err := pw.Write([]byte("{")); err == nil {
					wrote <- struct{}{}
				}
			}()
		}
	}
	// Every stalled sender is in, holding its share (a reader that waits
	// for budget never reads its byte; the deadline then lets the check
	// below fail rather than hang).
	deadline := time.After(10 * time.Second)
	for n := 0; n < len(stalled); n++ {
		select {
		case <-wrote:
		case <-deadline:
			n = len(stalled)
		}
	}
	// 128 stalled bodies announcing 1 MiB or 20 MiB would take 64 MiB + 1.25 GiB
	// if each reserved its Content-Length; a small body still gets its share.
	held, berr := b.hold(context.Background(), pooledMin, pooledMin)
	if berr != nil {
		t.Fatalf("a small body could not get its share next to stalled senders: %+v", berr)
	}
	held.free()
	for _, pw := range stalled {
		_ = pw.CloseWithError(io.ErrUnexpectedEOF)
	}
	for range stalled {
		<-done
	}
}
