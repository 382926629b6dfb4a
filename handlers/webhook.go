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

	budgetOnce sync.Once
	memory     *memoryBudget
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
	id      string
	event   string
	payload []byte
	body    *heldBody // the memory payload may point into
	log     *slog.Logger
}

func (h *WebhookHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d := delivery{id: r.Header.Get(gh.DeliveryIDHeader), event: "unknown"}
	d.log = h.Logger.With("delivery_id", d.id)

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
		d.log.Warn("webhook delivery rejected", "event", d.event, "status", status, "code", string(code), "reason", msg)
		writeErrorStatus(w, status, code, msg)
		return
	}
	d.log = d.log.With("event", d.event)

	switch d.event {
	case "ping":
		h.ignore(w, d, "ping")
	case "push":
		h.push(w, r.Context(), d)
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
	mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
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
	// A push is decoded next, which rejects malformed JSON by itself;
	// scanning it twice would cost a tenth of a delivery.
	if d.event != "push" && !json.Valid(payload) {
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

// pushRoute is the part of go-github's PushEvent that routing reads, with
// go-github's JSON field names. Decoding the whole PushEvent (repository,
// pusher, sender, every commit's author) costs about half the CPU of a
// delivery, so only these fields are decoded.
type pushRoute struct {
	Ref     string `json:"ref"`
	Before  string `json:"before"`
	After   string `json:"after"`
	Deleted bool   `json:"deleted"`
	Size    *int   `json:"size"`
	Repo    struct {
		FullName string `json:"full_name"`
	} `json:"repository"`
	Commits []struct {
		Added    []string `json:"added"`
		Removed  []string `json:"removed"`
		Modified []string `json:"modified"`
	} `json:"commits"`
}

// maxListedCommits is where GitHub may stop listing a push's commits; a list
// this long may be incomplete, so the push counts as touching every fabric.
const maxListedCommits = 20

// touches reports whether the push changed anything under the fabric path.
// An empty or possibly truncated commit list counts as touching: a missed
// sync costs more than a sync with nothing to do.
func (p *pushRoute) touches(f fabrics.Fabric) bool {
	if len(p.Commits) == 0 || len(p.Commits) >= maxListedCommits || (p.Size != nil && *p.Size > len(p.Commits)) {
		return true
	}
	for _, c := range p.Commits {
		for _, list := range [][]string{c.Added, c.Removed, c.Modified} {
			for _, file := range list {
				if f.Touches(file) {
					return true
				}
			}
		}
	}
	return false
}

func (h *WebhookHandler) push(w http.ResponseWriter, ctx context.Context, d delivery) {
	var p pushRoute
	if err := json.Unmarshal(d.payload, &p); err != nil {
		h.reject(w, d, fgderr.BadRequest, "push payload does not match GitHub's push event shape")
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
	case p.Repo.FullName == "":
		h.reject(w, d, fgderr.BadRequest, "push payload has no repository.full_name")
		return
	case p.After == "":
		// The push's identity (and so its de-duplication) rests on it.
		h.reject(w, d, fgderr.BadRequest, "push payload has no after commit")
		return
	}
	branch := strings.TrimPrefix(p.Ref, "refs/heads/")
	d.log = d.log.With("repository", p.Repo.FullName, "ref", p.Ref)

	ctx, cancel := context.WithTimeout(ctx, h.enqueueTimeout())
	defer cancel()
	candidates, err := h.Fabrics.ByRepository(ctx, p.Repo.FullName)
	if err != nil {
		h.unavailable(w, d, err)
		return
	}
	if len(candidates) == 0 {
		h.ignore(w, d, "repository "+p.Repo.FullName+" is not registered")
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

	start := time.Now()
	ids := make([]string, 0, len(matched))
	fresh := 0
	for _, f := range matched {
		syncID := PushSyncID(f.Name, p.Ref, p.Before, p.After)
		task, err := jobs.NewSyncTask(jobs.SyncPayload{
			SyncID: syncID, Fabric: f.Name, Trigger: jobs.TriggerWebhook,
			Ref: p.Ref, Before: p.Before, After: p.After, DeliveryID: d.id, CreatedAt: start.UTC(),
		}, h.TaskOptions...)
		if err != nil {
			h.reject(w, d, fgderr.Internal, "could not build the sync task")
			return
		}
		_, err = h.Queue.EnqueueContext(ctx, task)
		switch {
		case errors.Is(err, asynq.ErrTaskIDConflict):
			// This push was accepted before for this fabric, under this
			// delivery id or another one.
		case err != nil:
			h.unavailable(w, d.withFabric(f.Name), err)
			return
		default:
			fresh++
		}
		ids = append(ids, syncID)
	}
	h.Metrics.enqueueLatency.Observe(time.Since(start).Seconds())

	if fresh == 0 {
		h.Metrics.delivery(d.event, outcomeDuplicate)
		d.log.Info("webhook redelivery ignored", "sync_ids", ids)
		writeJSON(w, http.StatusOK, webhookAnswer{Status: "duplicate"})
		return
	}
	h.Metrics.delivery(d.event, outcomeQueued)
	for i, f := range matched {
		d.log.Info("sync queued", "fabric", f.Name, "sync_id", ids[i], "after", p.After)
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

func (d delivery) withFabric(name string) delivery {
	d.log = d.log.With("fabric", name)
	return d
}

func (h *WebhookHandler) enqueueTimeout() time.Duration {
	if h.EnqueueTimeout > 0 {
		return h.EnqueueTimeout
	}
	return DefaultEnqueueTimeout
}

func (h *WebhookHandler) ignore(w http.ResponseWriter, d delivery, reason string) {
	h.Metrics.delivery(d.event, outcomeIgnored)
	d.log.Info("webhook delivery ignored", "reason", reason)
	writeJSON(w, http.StatusOK, webhookAnswer{Status: "ignored", Reason: reason})
}

func (h *WebhookHandler) reject(w http.ResponseWriter, d delivery, code fgderr.Code, msg string) {
	h.Metrics.delivery(d.event, outcomeBadRequest)
	d.log.Warn("webhook delivery rejected", "status", code.Status(), "code", string(code), "reason", msg)
	writeError(w, code, msg)
}

// unavailable answers 503 so that GitHub shows the delivery as failed and
// it can be redelivered once Redis is back.
func (h *WebhookHandler) unavailable(w http.ResponseWriter, d delivery, err error) {
	h.Metrics.delivery(d.event, outcomeUnavailable)
	d.log.Error("webhook delivery not queued: Redis unavailable", "error", err)
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
