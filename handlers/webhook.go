// Package handlers holds fgd-sync's HTTP handlers and routing: the GitHub
// webhook receiver, health, readiness and metrics.
package handlers

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	gh "github.com/google/go-github/v60/github"
	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/valyala/fastjson"

	"github.com/githedgehog/fgd-sync/fabrics"
	"github.com/githedgehog/fgd-sync/fgderr"
	"github.com/githedgehog/fgd-sync/jobs"
)

// MaxWebhookBody is the largest delivery accepted. GitHub caps payloads at
// 25 MB; anything larger is not from GitHub.
const MaxWebhookBody = 25 << 20

// DefaultEnqueueTimeout bounds the Redis work of one delivery so that a Redis
// outage answers 503 within a second instead of holding GitHub's connection.
const DefaultEnqueueTimeout = 800 * time.Millisecond

// FabricLookup finds the fabrics that watch a repository.
type FabricLookup interface {
	ByRepository(ctx context.Context, repo string) ([]fabrics.Fabric, error)
}

// TaskEnqueuer is the part of *asynq.Client the receiver uses.
type TaskEnqueuer interface {
	EnqueueContext(ctx context.Context, task *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error)
}

// WebhookHandler receives GitHub deliveries on POST /webhooks/github and
// durably enqueues one fgd:sync task for each fabric a push concerns.
type WebhookHandler struct {
	Secrets        [][]byte // any one of them may sign a delivery (rotation)
	Fabrics        FabricLookup
	Queue          TaskEnqueuer
	Metrics        *Metrics
	Logger         *slog.Logger
	EnqueueTimeout time.Duration  // DefaultEnqueueTimeout when zero
	TaskOptions    []asynq.Option // extra options for every task, such as the queue in tests
	// MemoryBytes is the memory budget shared by all request bodies
	// (HEDGEHOG_FGD_WEBHOOK_MEMORY_BYTES); DefaultMemoryBytes when zero.
	MemoryBytes int64
	// PullRequestFiles lists a pull request's files; nil: every pull
	// request counts as touching its fabrics (handlers/pullrequest.go).
	PullRequestFiles PullRequestFiles

	budgetOnce sync.Once
	memory     *memoryBudget
	parsers    jsonParsers
}

// webhookAnswer is the JSON body of a 2xx answer.
type webhookAnswer struct {
	Status  string   `json:"status"`
	Reason  string   `json:"reason,omitempty"`
	SyncIDs []string `json:"sync_ids,omitempty"`
}

// Delivery outcomes, as metric labels.
const (
	outcomeQueued      = "queued"
	outcomeIgnored     = "ignored"
	outcomeDuplicate   = "duplicate"
	outcomeBadRequest  = "bad_request"
	outcomeBadSig      = "bad_signature"
	outcomeTooLarge    = "too_large"
	outcomeBadType     = "unsupported_media_type"
	outcomeUnavailable = "unavailable"
	outcomeBusy        = "over_budget"
)

// delivery is what one request carries once it is read and verified.
type delivery struct {
	ctx     context.Context
	id      string
	event   string
	payload []byte
	body    *heldBody // the memory payload may point into
	// attrs are logged with every line about the delivery: delivery_id,
	// then what becomes known (event, repository, ref). Lines are built
	// from them rather than from Logger.With, which costs a copy of the
	// handler at each step.
	attrs []slog.Attr
}

// with returns d with more attributes for its log lines.
func (d delivery) with(attrs ...slog.Attr) delivery {
	d.attrs = append(d.attrs[:len(d.attrs):len(d.attrs)], attrs...)
	return d
}

func (h *WebhookHandler) log(d delivery, level slog.Level, msg string, attrs ...slog.Attr) {
	h.Logger.LogAttrs(d.ctx, level, msg, d.with(attrs...).attrs...)
}

func (h *WebhookHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d := delivery{ctx: r.Context(), id: r.Header.Get(gh.DeliveryIDHeader), event: "unknown"}
	d.attrs = []slog.Attr{slog.String("delivery_id", d.id)}

	code, msg, outcome := h.read(w, r, &d)
	defer d.body.free()
	if code != "" {
		status := code.Status()
		switch outcome {
		case outcomeBadType:
			// Still a bad request (FGD_6001), but 415 tells the sender which
			// part was wrong: the one exception to the code's status.
			status = http.StatusUnsupportedMediaType
		case outcomeBusy:
			w.Header().Set("Retry-After", "1")
		}
		h.Metrics.delivery(d.event, outcome)
		h.log(d, slog.LevelWarn, "webhook delivery rejected", slog.String("event", d.event), slog.Int("status", status),
			slog.String("code", string(code)), slog.String("reason", msg))
		writeErrorStatus(w, status, code, msg)
		return
	}
	d = d.with(slog.String("event", d.event))

	switch d.event {
	case "ping":
		h.ignore(w, d, "ping")
	case "push":
		h.push(w, d)
	case "pull_request":
		h.pullRequest(w, r.Context(), d)
	default:
		h.ignore(w, d, "event "+d.event+" is not handled")
	}
}

// read judges what the headers can tell (size, content type, signature
// header, event and delivery headers) before a byte of the body is read,
// then reads the body within the memory budget and checks its signature
// before anything else looks at it. It fills d; the caller frees d.body. A
// non-empty code is the error to answer, with its message and the outcome
// for the metrics.
func (h *WebhookHandler) read(w http.ResponseWriter, r *http.Request, d *delivery) (fgderr.Code, string, string) {
	if r.ContentLength > MaxWebhookBody {
		return fgderr.LimitExceeded, "body over 25 MiB", outcomeTooLarge
	}
	contentType := r.Header.Get("Content-Type")
	mediaType, err := contentType, error(nil)
	if contentType != "application/json" { // what GitHub sends, without parameters
		mediaType, _, err = mime.ParseMediaType(contentType)
	}
	form := mediaType == "application/x-www-form-urlencoded"
	if err != nil || (mediaType != "application/json" && !form) {
		return fgderr.BadRequest,
			"Content-Type must be application/json or application/x-www-form-urlencoded", outcomeBadType
	}
	sig := r.Header.Get(gh.SHA256SignatureHeader)
	switch {
	case sig == "" && r.Header.Get(gh.SHA1SignatureHeader) != "":
		return fgderr.Unauthorized,
			"only an X-Hub-Signature (SHA-1) header was sent; X-Hub-Signature-256 is required", outcomeBadSig
	case sig == "":
		return fgderr.Unauthorized, "X-Hub-Signature-256 header is missing", outcomeBadSig
	case !strings.HasPrefix(sig, "sha256="):
		return fgderr.Unauthorized, "X-Hub-Signature-256 must start with sha256=", outcomeBadSig
	case len(sig) != len("sha256=")+2*sha256.Size:
		return fgderr.Unauthorized, "X-Hub-Signature-256 must be sha256= and 64 hex digits", outcomeBadSig
	}
	event := r.Header.Get(gh.EventTypeHeader)
	if event == "" {
		return fgderr.BadRequest, "X-GitHub-Event header is missing", outcomeBadRequest
	}
	if d.id == "" {
		return fgderr.BadRequest, "X-GitHub-Delivery header is missing", outcomeBadRequest
	}

	body, berr := h.budget().readBody(w, r)
	if berr != nil {
		return berr.code, berr.msg, berr.outcome
	}
	d.body = body
	if !h.signedByAny(sig, body.data) {
		return fgderr.Unauthorized, "signature does not match any configured webhook secret", outcomeBadSig
	}
	d.event = event

	payload := body.data
	if form {
		values, err := url.ParseQuery(string(body.data))
		if err != nil || values.Get("payload") == "" {
			return fgderr.BadRequest, "form body has no payload= field", outcomeBadRequest
		}
		payload = []byte(values.Get("payload"))
	}
	if err := fastjson.ValidateBytes(payload); err != nil {
		return fgderr.BadRequest, "payload is not valid JSON", outcomeBadRequest
	}
	d.payload = payload
	return "", "", ""
}

// budget returns the handler's memory budget, made on first use.
func (h *WebhookHandler) budget() *memoryBudget {
	h.budgetOnce.Do(func() {
		total := h.MemoryBytes
		if total <= 0 {
			total = DefaultMemoryBytes
		}
		h.memory = newMemoryBudget(total)
	})
	return h.memory
}

// signedByAny checks the signature against every secret. go-github's
// ValidateSignature compares with hmac.Equal, in constant time.
func (h *WebhookHandler) signedByAny(sig string, body []byte) bool {
	ok := false
	for _, s := range h.Secrets {
		if gh.ValidateSignature(sig, body, s) == nil {
			ok = true
		}
	}
	return ok
}

func (h *WebhookHandler) push(w http.ResponseWriter, d delivery) {
	p, err := h.parsers.pushRoute(d.payload)
	if err != nil {
		h.reject(w, d, fgderr.BadRequest, "push payload does not match GitHub's push event shape: "+err.Error())
		return
	}
	switch {
	case p.Deleted:
		h.ignore(w, d, "branch deletion")
		return
	case strings.HasPrefix(p.Ref, "refs/tags/"):
		h.ignore(w, d, "tag push")
		return
	case !strings.HasPrefix(p.Ref, "refs/heads/"):
		h.ignore(w, d, "ref "+p.Ref+" is not a branch")
		return
	case p.Repository == "":
		h.reject(w, d, fgderr.BadRequest, "push payload has no repository.full_name")
		return
	case p.After == "":
		// The push's identity (and so its de-duplication) rests on it.
		h.reject(w, d, fgderr.BadRequest, "push payload has no after commit")
		return
	}
	branch := strings.TrimPrefix(p.Ref, "refs/heads/")
	d = d.with(slog.String("repository", p.Repository), slog.String("ref", p.Ref))

	ctx, cancel := context.WithTimeout(d.ctx, h.enqueueTimeout())
	defer cancel()
	candidates, err := h.Fabrics.ByRepository(ctx, p.Repository)
	if err != nil {
		h.unavailable(w, d, err)
		return
	}
	if len(candidates) == 0 {
		h.ignore(w, d, "repository "+p.Repository+" is not registered")
		return
	}
	var matched []fabrics.Fabric
	onBranch := false
	for _, f := range candidates {
		if f.Branch != branch {
			continue
		}
		onBranch = true
		if p.touches(f) {
			matched = append(matched, f)
		}
	}
	if !onBranch {
		h.ignore(w, d, "branch "+branch+" is not watched")
		return
	}
	if len(matched) == 0 {
		h.ignore(w, d, "no change under the fabric path")
		return
	}

	now := time.Now().UTC()
	payloads := make([]jobs.SyncPayload, 0, len(matched))
	for _, f := range matched {
		payloads = append(payloads, jobs.SyncPayload{
			SyncID: PushSyncID(f.Name, p.Ref, p.Before, p.After), Fabric: f.Name, Trigger: jobs.TriggerWebhook,
			Ref: p.Ref, Before: p.Before, After: p.After, DeliveryID: d.id, CreatedAt: now,
		})
	}
	h.enqueueSyncs(w, ctx, d, payloads, "sync queued")
}

// enqueueSyncs enqueues one task per payload and answers the delivery: 202
// queued with the sync ids; 200 duplicate when every task's id was taken
// before (the same push or pull request head, under this delivery id or
// another one); 503 when Redis fails.
func (h *WebhookHandler) enqueueSyncs(w http.ResponseWriter, ctx context.Context, d delivery, payloads []jobs.SyncPayload, queuedMsg string) {
	start := time.Now()
	ids := make([]string, 0, len(payloads))
	fresh := 0
	for _, p := range payloads {
		task, err := jobs.NewSyncTask(p, h.TaskOptions...)
		if err != nil {
			h.reject(w, d, fgderr.Internal, "could not build the sync task")
			return
		}
		_, err = h.Queue.EnqueueContext(ctx, task)
		switch {
		case errors.Is(err, asynq.ErrTaskIDConflict):
			// Accepted before for this fabric.
		case err != nil:
			h.unavailable(w, d.with(slog.String("fabric", p.Fabric)), err)
			return
		default:
			fresh++
		}
		ids = append(ids, p.SyncID)
	}
	h.Metrics.enqueueLatency.Observe(time.Since(start).Seconds())

	if fresh == 0 {
		h.Metrics.delivery(d.event, outcomeDuplicate)
		h.log(d, slog.LevelInfo, "webhook redelivery ignored", slog.Any("sync_ids", ids))
		writeJSON(w, http.StatusOK, webhookAnswer{Status: "duplicate"})
		return
	}
	h.Metrics.delivery(d.event, outcomeQueued)
	for _, p := range payloads {
		h.log(d, slog.LevelInfo, queuedMsg, slog.String("fabric", p.Fabric), slog.String("sync_id", p.SyncID), slog.String("after", p.After))
	}
	writeJSON(w, http.StatusAccepted, webhookAnswer{Status: "queued", SyncIDs: ids})
}

// pushSyncNamespace seeds the name-based UUIDs of webhook syncs.
var pushSyncNamespace = uuid.MustParse("0c6f3f5e-8f2a-4d0b-b8a4-2f1e7c9d5a61")

// PushSyncID is the sync id of a push for a fabric. It is derived from what
// identifies the push (fabric, ref, before, after) rather than from the
// delivery, so that the same push delivered twice (redelivered under a new
// delivery id, or sent by two hooks) maps to one asynq TaskID, which asynq
// enqueues once. The task's retention (jobs.DeliveryRetention) keeps the id
// taken for 72 h.
func PushSyncID(fabric, ref, before, after string) string {
	return uuid.NewSHA1(pushSyncNamespace, []byte(fabric+"\x00"+ref+"\x00"+before+"\x00"+after)).String()
}

func (h *WebhookHandler) enqueueTimeout() time.Duration {
	if h.EnqueueTimeout > 0 {
		return h.EnqueueTimeout
	}
	return DefaultEnqueueTimeout
}

func (h *WebhookHandler) ignore(w http.ResponseWriter, d delivery, reason string) {
	h.Metrics.delivery(d.event, outcomeIgnored)
	h.log(d, slog.LevelInfo, "webhook delivery ignored", slog.String("reason", reason))
	writeJSON(w, http.StatusOK, webhookAnswer{Status: "ignored", Reason: reason})
}

func (h *WebhookHandler) reject(w http.ResponseWriter, d delivery, code fgderr.Code, msg string) {
	h.Metrics.delivery(d.event, outcomeBadRequest)
	h.log(d, slog.LevelWarn, "webhook delivery rejected", slog.Int("status", code.Status()), slog.String("code", string(code)), slog.String("reason", msg))
	writeError(w, code, msg)
}

// unavailable answers 503 so that GitHub shows the delivery as failed and
// it can be redelivered once Redis is back.
func (h *WebhookHandler) unavailable(w http.ResponseWriter, d delivery, err error) {
	h.Metrics.delivery(d.event, outcomeUnavailable)
	h.log(d, slog.LevelError, "webhook delivery not queued: Redis unavailable", slog.Any("error", err))
	writeError(w, fgderr.Redis, "the queue is unavailable; the delivery was not accepted, redeliver it later")
}

// errorBody is the shape of every error answer (docs/codes.md).
type errorBody struct {
	Error struct {
		Code    fgderr.Code `json:"code"`
		Message string      `json:"message"`
	} `json:"error"`
}

// writeError answers code with its HTTP status (fgderr.Code.Status).
func writeError(w http.ResponseWriter, code fgderr.Code, msg string) {
	writeErrorStatus(w, code.Status(), code, msg)
}

// writeErrorStatus answers code with another status than its own; only the
// webhook's 415 does.
func writeErrorStatus(w http.ResponseWriter, status int, code fgderr.Code, msg string) {
	var b errorBody
	b.Error.Code, b.Error.Message = code, msg
	writeJSON(w, status, b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
