package handlers

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	gh "github.com/google/go-github/v60/github"
	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/githedgehog/fgd-sync/fabrics"
	"github.com/githedgehog/fgd-sync/internal/testredis"
	"github.com/githedgehog/fgd-sync/internal/webhooktest"
	"github.com/githedgehog/fgd-sync/redisconn"
	"github.com/githedgehog/fgd-sync/registry"
)

// How a fuzzed delivery is signed.
const (
	sigValid = iota
	sigRotated
	sigMissing
	sigWrongSecret
	sigSHA1Only
	sigMalformed
	sigModes
)

// documentedAnswers are the statuses docs/contract.md lists for the
// webhook, with the codes an error answer of each may carry.
var documentedAnswers = map[int][]string{
	200: nil, 202: nil,
	400: {"FGD_6001"}, 401: {"FGD_6002"}, 413: {"FGD_1006"}, 415: {"FGD_6001"}, 503: {"FGD_5003", "FGD_5004"},
}

// FuzzWebhook drives the webhook's read-and-route path (headers, media
// types, form and JSON bodies, push and pull_request payloads) on a real
// Redis and holds it to three rules: it never panics; every answer is one
// the contract documents, with a consistent body; and a delivery with a
// valid signature and a valid push (as go-github reads it) always routes:
// queued (or a duplicate) when it concerns a fabric, ignored otherwise.
// Nothing without a valid signature is ever accepted.
func FuzzWebhook(f *testing.F) {
	rs := testredis.New(f)
	rdb, err := redisconn.Open(rs.URL)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = rdb.Close() })
	prefix := testredis.Unique("fuzz") + ":"
	queue := testredis.Unique("fuzz")
	reg := registry.New(rdb, prefix)
	if _, err := reg.UpsertAll(context.Background(), testFabrics()); err != nil {
		f.Fatal(err)
	}
	inspector := asynq.NewInspectorFromRedisClient(rdb)
	f.Cleanup(func() { _ = inspector.DeleteQueue(queue, true) })
	h := &WebhookHandler{
		Secrets:     [][]byte{[]byte(testSecret), []byte(rotatedSecret)},
		Fabrics:     registry.NewCache(reg, registry.DefaultCacheMaxAge),
		Queue:       asynq.NewClientFromRedisClient(rdb),
		Metrics:     NewMetrics(prometheus.NewRegistry()),
		Logger:      slog.New(slog.NewJSONHandler(io.Discard, nil)),
		TaskOptions: []asynq.Option{asynq.Queue(queue)},
	}
	registered := testFabrics()

	push := readTestdata(f, "push.json")
	pull := readTestdata(f, "pull_request.json")
	variant := func(change func(ev map[string]any)) []byte {
		var ev map[string]any
		if err := json.Unmarshal(push, &ev); err != nil {
			f.Fatal(err)
		}
		change(ev)
		return webhooktest.MustJSON(f, ev)
	}
	ping := webhooktest.MustJSON(f, &gh.PingEvent{Zen: gh.String("Practicality beats purity."), HookID: gh.Int64(109948940)})
	seeds := []struct {
		event, contentType string
		sig                uint8
		delivery           string
		chunked, form      bool
		payload            []byte
	}{
		{"push", "application/json", sigValid, "72d3162e-cc78-11e3-81ab-4c9367dc0958", false, false, push},
		{"push", "application/json", sigRotated, "d-2", true, false, push},
		{"push", "application/x-www-form-urlencoded", sigValid, "d-3", false, true, push},
		{"push", "application/json; charset=utf-8", sigValid, "d-4", false, false, push},
		{"push", "Application/JSON", sigValid, "d-5", false, false, push},
		{"push", "application/json", sigValid, "d-6", false, false, variant(func(ev map[string]any) { ev["ref"] = "refs/tags/v1.0.0" })},
		{"push", "application/json", sigValid, "d-7", false, false, variant(func(ev map[string]any) { ev["deleted"] = true })},
		{"push", "application/json", sigValid, "d-8", false, false, variant(func(ev map[string]any) { ev["ref"] = "refs/heads/feature" })},
		{"push", "application/json", sigValid, "d-9", false, false, variant(func(ev map[string]any) { ev["commits"] = []any{} })},
		{"push", "application/json", sigValid, "d-10", false, false, variant(func(ev map[string]any) {
			ev["commits"] = []any{map[string]any{"added": []string{"docs/readme.md"}, "removed": []string{}, "modified": nil}}
		})},
		{"push", "application/json", sigValid, "d-11", false, false, variant(func(ev map[string]any) {
			ev["repository"].(map[string]any)["full_name"] = "ACME/Lab"
		})},
		{"pull_request", "application/json", sigValid, "d-12", false, false, pull},
		{"pull_request", "application/x-www-form-urlencoded", sigValid, "d-13", true, true, pull},
		{"ping", "application/json", sigValid, "d-14", false, false, ping},
		{"push", "application/json", sigMissing, "d-15", false, false, push},
		{"push", "application/json", sigWrongSecret, "d-16", false, false, push},
		{"push", "application/json", sigSHA1Only, "d-17", false, false, push},
		{"push", "application/json", sigMalformed, "d-18", false, false, push},
		{"push", "text/plain", sigValid, "d-19", false, false, push},
		{"", "application/json", sigValid, "d-20", false, false, push},
		{"push", "application/json", sigValid, "", false, false, push},
		{"push", "application/json", sigValid, "d-22", false, false, []byte(`{"ref":"refs/heads/main",`)},
	}
	for _, s := range seeds {
		f.Add(s.event, s.contentType, s.sig, s.delivery, s.chunked, s.form, s.payload)
	}

	executions := 0
	f.Fuzz(func(t *testing.T, event, contentType string, sig uint8, delivery string, chunked, form bool, payload []byte) {
		if executions++; executions%2000 == 0 {
			// The queue would grow by every routed push otherwise.
			_ = inspector.DeleteQueue(queue, true)
		}
		body := payload
		if form {
			body = []byte(url.Values{"payload": {string(payload)}}.Encode())
		}
		sig %= sigModes
		r := httptest.NewRequest(http.MethodPost, "/webhooks/github", bytes.NewReader(body))
		if chunked {
			r.ContentLength = -1
		}
		headers := map[string]string{"Content-Type": contentType, "X-GitHub-Event": event, "X-GitHub-Delivery": delivery}
		switch sig {
		case sigValid:
			headers["X-Hub-Signature-256"] = webhooktest.Sign(testSecret, body)
		case sigRotated:
			headers["X-Hub-Signature-256"] = webhooktest.Sign(rotatedSecret, body)
		case sigWrongSecret:
			headers["X-Hub-Signature-256"] = webhooktest.Sign("not-the-secret", body)
		case sigSHA1Only:
			m := hmac.New(sha1.New, []byte(testSecret))
			m.Write(body)
			headers["X-Hub-Signature"] = "sha1=" + hex.EncodeToString(m.Sum(nil))
		case sigMalformed:
			headers["X-Hub-Signature-256"] = "sha256=" + strings.Repeat("z", 64)
		}
		for k, v := range headers {
			if v != "" {
				r.Header.Set(k, v)
			}
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)

		codes, documented := documentedAnswers[w.Code]
		if !documented {
			t.Fatalf("answer %d is not documented: %s", w.Code, w.Body)
		}
		var out struct {
			Status string `json:"status"`
			Error  struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
			t.Fatalf("answer %d is not JSON: %q", w.Code, w.Body)
		}
		switch {
		case w.Code == 202 && out.Status != "queued",
			w.Code == 200 && out.Status != "ignored" && out.Status != "duplicate",
			w.Code >= 400 && (!slices.Contains(codes, out.Error.Code) || out.Error.Message == ""):
			t.Fatalf("answer %d with body %s", w.Code, w.Body)
		}
		signed := sig == sigValid || sig == sigRotated
		if !signed && w.Code < 300 {
			t.Fatalf("a delivery without a valid signature was answered %d: %s", w.Code, w.Body)
		}
		if !signed || event != "push" || delivery == "" || !acceptedMediaType(contentType, form) || (form && len(payload) == 0) {
			return
		}
		want, ok := expectedRoute(payload, registered)
		if !ok {
			return
		}
		if want == "queued" && !(w.Code == 202 || (w.Code == 200 && out.Status == "duplicate")) ||
			want == "ignored" && !(w.Code == 200 && out.Status == "ignored") {
			t.Fatalf("a signed valid push was answered %d %s, want it %s", w.Code, w.Body, want)
		}
	})
}

// acceptedMediaType says whether the contract accepts contentType for a
// body sent as JSON (form false) or form-encoded (form true).
func acceptedMediaType(contentType string, form bool) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	if form {
		return mt == "application/x-www-form-urlencoded"
	}
	return mt == "application/json"
}

// expectedRoute is what a push should get, from go-github's own reading of
// the payload: "queued" when it concerns a registered fabric, "ignored"
// otherwise. ok is false for payloads that are not a valid push, or where
// JSON readers may lawfully differ (repeated names, invalid UTF-8, nesting
// deeper than 300 levels); the rule does not hold them.
func expectedRoute(payload []byte, registered []fabrics.Fabric) (want string, ok bool) {
	if !utf8.Valid(payload) || !json.Valid(payload) || !plainJSON(payload) {
		return "", false
	}
	parsed, err := gh.ParseWebHook("push", payload)
	if err != nil {
		return "", false
	}
	ev := parsed.(*gh.PushEvent)
	route := routeOf(ev)
	if route.Deleted || !strings.HasPrefix(route.Ref, "refs/heads/") || route.Repository == "" || route.After == "" {
		return "", false
	}
	branch := strings.TrimPrefix(route.Ref, "refs/heads/")
	for _, fab := range registered {
		if fabrics.RepositoryKey(fab.Repository) == fabrics.RepositoryKey(route.Repository) && fab.Branch == branch && route.touches(fab) {
			return "queued", true
		}
	}
	return "ignored", true
}

// plainJSON reports that no object repeats a name (as encoding/json
// compares names) and nothing nests deeper than 300 levels.
func plainJSON(payload []byte) bool {
	type frame struct {
		object, expectName bool
		names              []string
	}
	var stack []*frame
	top := func() *frame {
		if len(stack) == 0 {
			return nil
		}
		return stack[len(stack)-1]
	}
	valueDone := func() {
		if f := top(); f != nil && f.object {
			f.expectName = true
		}
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return true
		}
		if err != nil {
			return false
		}
		if f := top(); f != nil && f.object && f.expectName {
			if tok == json.Delim('}') {
				stack = stack[:len(stack)-1]
				valueDone()
				continue
			}
			name := tok.(string)
			for _, n := range f.names {
				if strings.EqualFold(n, name) {
					return false
				}
			}
			f.names = append(f.names, name)
			f.expectName = false
			continue
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			stack = append(stack, &frame{object: tok == json.Delim('{'), expectName: tok == json.Delim('{')})
			if len(stack) > 300 {
				return false
			}
		case json.Delim(']'):
			stack = stack[:len(stack)-1]
			valueDone()
		default:
			valueDone()
		}
	}
}
