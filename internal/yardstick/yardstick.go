// Package yardstick is the straightforward GitHub webhook receiver that
// fgd-sync's own is measured against (make bench): go-github's
// ValidatePayload and ParseWebHook, then one asynq enqueue with the
// delivery id as TaskID, on the same chi, go-github and asynq. Nothing
// else: no registry, no routing, no budget, no logging.
package yardstick

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/go-chi/chi/v5"
	gh "github.com/google/go-github/v60/github"
	"github.com/hibiken/asynq"

	"github.com/githedgehog/fgd-sync/jobs"
)

// TypePush is the task type the yardstick enqueues.
const TypePush = "yardstick:push"

// Receiver enqueues one task for each signed push.
type Receiver struct {
	Secret    []byte
	Queue     *asynq.Client
	QueueName string // jobs.DefaultQueue when empty, as fgd-sync's tasks
}

// pushTask is the task's payload: what a sync needs to know of the push.
type pushTask struct {
	Repository string `json:"repository"`
	Ref        string `json:"ref"`
	Before     string `json:"before"`
	After      string `json:"after"`
	DeliveryID string `json:"delivery_id"`
}

// Router serves the receiver on POST /webhooks/github.
func Router(rc *Receiver) http.Handler {
	r := chi.NewRouter()
	r.Method(http.MethodPost, "/webhooks/github", rc)
	return r
}

func (rc *Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	payload, err := gh.ValidatePayload(r, rc.Secret)
	if err != nil {
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	event, err := gh.ParseWebHook(gh.WebHookType(r), payload)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	push, ok := event.(*gh.PushEvent)
	if !ok {
		w.WriteHeader(http.StatusOK)
		return
	}
	delivery := gh.DeliveryID(r)
	body, err := json.Marshal(pushTask{push.GetRepo().GetFullName(), push.GetRef(), push.GetBefore(), push.GetAfter(), delivery})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	queue := rc.QueueName
	if queue == "" {
		queue = jobs.DefaultQueue
	}
	_, err = rc.Queue.EnqueueContext(r.Context(), asynq.NewTask(TypePush, body), asynq.TaskID(delivery), asynq.Queue(queue))
	switch {
	case err == nil:
		w.WriteHeader(http.StatusAccepted)
	case errors.Is(err, asynq.ErrTaskIDConflict):
		w.WriteHeader(http.StatusOK)
	default:
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
	}
}
