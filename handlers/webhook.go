// Package handlers holds fgd-sync's HTTP handlers and routing: the GitHub
// webhook receiver, health, readiness and metrics.
package handlers

import (
	"bytes"
	"context"
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
	// PullRequestFiles lists a pull request's files; nil: every pull
	// request counts as touching its fabrics (handlers/pullrequest.go).
	PullRequestFiles PullRequestFiles

	bufs sync.Pool
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
)

// delivery is what one request carries once it is read and verified.
type delivery struct {
	id      string
	event   string
	payload []byte
	log     *slog.Logger
}

func (h *WebhookHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d := delivery{id: r.Header.Get(gh.DeliveryIDHeader), event: "unknown"}
	d.log = h.Logger.With("delivery_id", d.id)

	code, msg, outcome := h.read(w, r, &d)
	if code != "" {
		status := code.Status()
		if outcome == outcomeBadType {
			// Still a bad request (FGD_6001), but 415 tells the sender which
			// part was wrong: the one exception to the code's status.
			status = http.StatusUnsupportedMediaType
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
	case "pull_request":
		h.pullRequest(w, r.Context(), d)
	default:
		h.ignore(w, d, "event "+d.event+" is not handled")
	}
}

// read checks size, content type, signature and headers, and fills d. A
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

	buf, _ := h.bufs.Get().(*bytes.Buffer)
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	buf.Reset()
	defer h.bufs.Put(buf)
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, MaxWebhookBody)); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return fgderr.LimitExceeded, "body over 25 MiB", outcomeTooLarge
		}
		return fgderr.BadRequest, "could not read the body", outcomeBadRequest
	}
	body := buf.Bytes()

	sig := r.Header.Get(gh.SHA256SignatureHeader)
	switch {
	case sig == "" && r.Header.Get(gh.SHA1SignatureHeader) != "":
		return fgderr.Unauthorized,
			"only an X-Hub-Signature (SHA-1) header was sent; X-Hub-Signature-256 is required", outcomeBadSig
	case sig == "":
		return fgderr.Unauthorized, "X-Hub-Signature-256 header is missing", outcomeBadSig
	case !strings.HasPrefix(sig, "sha256="):
		return fgderr.Unauthorized, "X-Hub-Signature-256 must start with sha256=", outcomeBadSig
	case !h.signedByAny(sig, body):
		return fgderr.Unauthorized, "signature does not match any configured webhook secret", outcomeBadSig
	}

	d.event = r.Header.Get(gh.EventTypeHeader)
	if d.event == "" {
		d.event = "unknown"
		return fgderr.BadRequest, "X-GitHub-Event header is missing", outcomeBadRequest
	}
	if d.id == "" {
		return fgderr.BadRequest, "X-GitHub-Delivery header is missing", outcomeBadRequest
	}

	payload := body
	if form {
		values, err := url.ParseQuery(string(body))
		if err != nil || values.Get("payload") == "" {
			return fgderr.BadRequest, "form body has no payload= field", outcomeBadRequest
		}
		payload = []byte(values.Get("payload"))
	} else {
		// The pooled buffer is reused after this request returns.
		payload = bytes.Clone(body)
	}
	// A push is decoded next, which rejects malformed JSON by itself;
	// scanning it twice would cost a tenth of a delivery.
	if d.event != "push" && !json.Valid(payload) {
		return fgderr.BadRequest, "payload is not valid JSON", outcomeBadRequest
	}
	d.payload = payload
	return "", "", ""
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
		syncID := jobs.WebhookSyncID(d.id, f.Name)
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
			// This delivery was accepted before for this fabric.
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
