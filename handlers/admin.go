package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/githedgehog/fgd-sync/access"
	"github.com/githedgehog/fgd-sync/adminapi"
	"github.com/githedgehog/fgd-sync/fabrics"
	"github.com/githedgehog/fgd-sync/fgderr"
	"github.com/githedgehog/fgd-sync/jobs"
	"github.com/githedgehog/fgd-sync/registry"
	"github.com/githedgehog/fgd-sync/store"
)

// MaxAdminBody bounds every admin API request body.
const MaxAdminBody = 1 << 20

// FabricRegistry is the fabric registry as the admin API uses it.
type FabricRegistry interface {
	Create(ctx context.Context, f fabrics.Fabric) (fabrics.Fabric, error)
	Put(ctx context.Context, f fabrics.Fabric) (fabrics.Fabric, error)
	Fabric(ctx context.Context, name string) (fabrics.Fabric, error)
	List(ctx context.Context) ([]fabrics.Fabric, error)
	Delete(ctx context.Context, name string) (fabrics.Fabric, error)
}

// SyncRecords is the Redis state the admin API reads and marks.
type SyncRecords interface {
	GetRecord(ctx context.Context, id string) (*store.Record, error)
	ListRecords(ctx context.Context, fabric string, limit int) ([]*store.Record, error)
	Inventory(ctx context.Context, fabric, kind string) ([]store.Resource, error)
	MarkQueued(ctx context.Context, fabric, id string, ttl time.Duration) (bool, string, error)
	ClearQueued(ctx context.Context, fabric, id string) error
	LockHolder(ctx context.Context, fabric string) (string, error)
}

// TaskInspector is the part of asynq.Inspector the admin API reads.
type TaskInspector interface {
	GetTaskInfo(queue, id string) (*asynq.TaskInfo, error)
	GetQueueInfo(queue string) (*asynq.QueueInfo, error)
	Servers() ([]*asynq.ServerInfo, error)
}

// AdminAPI serves /api/v1.
type AdminAPI struct {
	// Token is HEDGEHOG_FGD_ADMIN_TOKEN, the bootstrap admin.
	Token []byte
	// Access holds the scoped tokens and the audit stream (access.Store);
	// nil: only Token is known and nothing is audited.
	Access      AccessStore
	Registry    FabricRegistry
	Records     SyncRecords
	Queue       TaskEnqueuer
	Inspector   TaskInspector
	Redis       Pinger
	Logger      *slog.Logger
	TaskOptions []asynq.Option
}

// queuedMarkTTL bounds how long a manual sync blocks another one if its
// worker never starts it.
const queuedMarkTTL = time.Hour

// Routes returns the /api/v1 routes, behind a bearer token whose role and
// scope each route checks; mutating calls are audited.
func (a *AdminAPI) Routes() http.Handler {
	r := chi.NewRouter()
	r.Use(withRequestID, a.authenticate, a.auditMutations, limitBody)
	reader, admin := a.allow(access.RoleRead), a.allow(access.RoleAdmin)
	fabricReader, fabricTrigger, fabricAdmin := a.allowFabric(access.RoleRead), a.allowFabric(access.RoleTrigger), a.allowFabric(access.RoleAdmin)
	r.With(admin).Get("/health", a.health)
	r.With(reader).Get("/fabrics", a.listFabrics)
	r.With(admin).Post("/fabrics", a.createFabric)
	r.With(fabricReader).Get("/fabrics/{name}", a.getFabric)
	r.With(fabricAdmin).Put("/fabrics/{name}", a.putFabric)
	r.With(fabricAdmin).Delete("/fabrics/{name}", a.deleteFabric)
	r.With(fabricTrigger).Post("/fabrics/{name}/sync", a.syncFabric)
	r.With(fabricReader).Get("/fabrics/{name}/syncs", a.listSyncs)
	r.With(fabricReader).Get("/fabrics/{name}/resources", a.resources)
	r.With(reader).Get("/syncs/{id}", a.getSync) // the scope is checked on the record
	if a.Access != nil {
		r.With(admin).Post("/tokens", a.createToken)
		r.With(admin).Get("/tokens", a.listTokens)
		r.With(admin).Delete("/tokens/{name}", a.revokeToken)
		r.With(admin).Get("/audit", a.getAudit)
	}
	r.NotFound(func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, fgderr.NotFound, "no such endpoint")
	})
	return r
}

// authenticate checks the bearer token: the bootstrap admin token or a
// stored one (see identify).
func (a *AdminAPI) authenticate(next http.Handler) http.Handler {
	return a.authenticated(bearerToken, `Bearer realm="fgd-sync"`, "send Authorization: Bearer <token>")(next)
}

func limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > MaxAdminBody {
			writeError(w, fgderr.LimitExceeded, "body over 1 MiB")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, MaxAdminBody)
		next.ServeHTTP(w, r)
	})
}

// decodeStrict reads one JSON value with no unknown keys. It writes the
// error answer itself and reports false on failure.
func decodeStrict(w http.ResponseWriter, r *http.Request, v any, allowEmpty bool) bool {
	body, err := io.ReadAll(r.Body)
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		writeError(w, fgderr.LimitExceeded, "body over 1 MiB")
		return false
	case err != nil:
		writeError(w, fgderr.BadRequest, "could not read the body")
		return false
	case len(strings.TrimSpace(string(body))) == 0 && allowEmpty:
		return true
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var typeErr *json.UnmarshalTypeError
		var syntaxErr *json.SyntaxError
		switch {
		case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
			writeError(w, fgderr.BadRequest, "malformed JSON: "+err.Error())
		case errors.As(err, &typeErr):
			writeError(w, fgderr.SchemaValidation, fmt.Sprintf("field %q must be %s", typeErr.Field, typeErr.Type))
		case strings.HasPrefix(err.Error(), "json: unknown field"):
			writeError(w, fgderr.SchemaValidation, strings.TrimPrefix(err.Error(), "json: ")+" is not accepted")
		default:
			writeError(w, fgderr.SchemaValidation, err.Error())
		}
		return false
	}
	if dec.More() {
		writeError(w, fgderr.BadRequest, "one JSON object expected")
		return false
	}
	return true
}

// failure answers an error from the registry, the store or the queue.
func (a *AdminAPI) failure(w http.ResponseWriter, r *http.Request, err error) {
	var fe *fabrics.FieldError
	switch {
	case errors.As(err, &fe):
		writeError(w, fe.Code, fe.Field+": "+fe.Msg)
	case errors.Is(err, fabrics.ErrUnknownFabric):
		writeError(w, fgderr.NotFound, "no fabric "+chi.URLParam(r, "name"))
	case errors.Is(err, registry.ErrExists):
		writeError(w, fgderr.DuplicateResource, "a fabric of that name exists; PUT /api/v1/fabrics/{name} changes it")
	case errors.Is(err, store.ErrNotFound):
		writeError(w, fgderr.NotFound, "not found")
	default:
		a.Logger.Error("admin API: Redis unavailable", "path", r.URL.Path, "error", err)
		writeError(w, fgderr.Redis, "Redis is unavailable; try again")
	}
}

func (a *AdminAPI) enqueue(ctx context.Context, t *asynq.Task) error {
	ctx, cancel := context.WithTimeout(ctx, DefaultEnqueueTimeout)
	defer cancel()
	_, err := a.Queue.EnqueueContext(ctx, t, a.TaskOptions...)
	return err
}

func (a *AdminAPI) listFabrics(w http.ResponseWriter, r *http.Request) {
	list, err := a.Registry.List(r.Context())
	if err != nil {
		a.failure(w, r, err)
		return
	}
	visible := []fabrics.Fabric{}
	for _, f := range list {
		if callOf(r).principal.Covers(f.Name) {
			visible = append(visible, f)
		}
	}
	writeJSON(w, http.StatusOK, adminapi.FabricList{Fabrics: visible})
}

func (a *AdminAPI) createFabric(w http.ResponseWriter, r *http.Request) {
	var f fabrics.Fabric
	if !decodeStrict(w, r, &f, false) {
		return
	}
	noteFabric(r, f.Name)
	created, err := a.Registry.Create(r.Context(), f)
	if err != nil {
		a.failure(w, r, err)
		return
	}
	syncID := uuid.NewString()
	task, err := jobs.NewInitTask(syncID, created.Name)
	if err == nil {
		err = a.enqueue(r.Context(), task)
	}
	if err != nil {
		// Not queued, so not created: the caller may simply retry.
		_, _ = a.Registry.Delete(context.WithoutCancel(r.Context()), created.Name)
		a.Logger.Error("fabric not created: its init job could not be queued", "fabric", created.Name, "error", err)
		writeError(w, fgderr.Redis, "the init job could not be queued; the fabric was not created")
		return
	}
	a.Logger.Info("fabric created", "fabric", created.Name, "sync_id", syncID)
	writeJSON(w, http.StatusCreated, adminapi.FabricCreated{Fabric: created, SyncID: syncID})
}

func (a *AdminAPI) getFabric(w http.ResponseWriter, r *http.Request) {
	f, err := a.Registry.Fabric(r.Context(), chi.URLParam(r, "name"))
	if err != nil {
		a.failure(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, f)
}

func (a *AdminAPI) putFabric(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "name")
	var f fabrics.Fabric
	if !decodeStrict(w, r, &f, false) {
		return
	}
	if f.Name == "" {
		f.Name = name
	}
	if f.Name != name {
		writeError(w, fgderr.InvalidStructure, "name: the body's name must match the URL; a fabric cannot be renamed")
		return
	}
	if _, err := a.Registry.Fabric(r.Context(), name); err != nil {
		a.failure(w, r, err)
		return
	}
	updated, err := a.Registry.Put(r.Context(), f)
	if err != nil {
		a.failure(w, r, err)
		return
	}
	a.Logger.Info("fabric updated", "fabric", name)
	writeJSON(w, http.StatusOK, updated)
}

func (a *AdminAPI) deleteFabric(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "name")
	task, err := jobs.NewCleanupTask(name)
	if err != nil {
		writeError(w, fgderr.InvalidStructure, err.Error())
		return
	}
	f, err := a.Registry.Delete(r.Context(), name)
	if err != nil {
		a.failure(w, r, err)
		return
	}
	if err := a.enqueue(r.Context(), task); err != nil {
		// The fabric is gone, which is what was asked; its cache and
		// lock expire or are reclaimed by a later cleanup.
		a.Logger.Warn("cleanup job not queued", "fabric", name, "error", err)
	}
	a.Logger.Info("fabric deleted", "fabric", name)
	writeJSON(w, http.StatusOK, adminapi.FabricDeleted{Status: adminapi.StatusDeleted, Fabric: f})
}

func (a *AdminAPI) syncFabric(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "name")
	var req adminapi.SyncRequest
	if !decodeStrict(w, r, &req, true) {
		return
	}
	if req.Options.TimeoutSeconds < 0 || req.Options.TimeoutSeconds > 24*3600 {
		writeError(w, fgderr.SchemaValidation, "options.timeout_seconds must be from 0 to 86400")
		return
	}
	ctx := r.Context()
	if _, err := a.Registry.Fabric(ctx, name); err != nil {
		a.failure(w, r, err)
		return
	}
	holder, err := a.Records.LockHolder(ctx, name)
	if err != nil {
		a.failure(w, r, err)
		return
	}
	if holder != "" {
		inProgress(w, strings.SplitN(holder, "/", 2)[0])
		return
	}
	id := uuid.NewString()
	marked, current, err := a.Records.MarkQueued(ctx, name, id, queuedMarkTTL)
	if err != nil {
		a.failure(w, r, err)
		return
	}
	if !marked {
		inProgress(w, current)
		return
	}
	task, err := jobs.NewSyncTask(jobs.SyncPayload{SyncID: id, Fabric: name, Trigger: jobs.TriggerManual, CreatedAt: time.Now().UTC(), Options: jobs.SyncOptions(req.Options)})
	if err == nil {
		err = a.enqueue(ctx, task)
	}
	if err != nil {
		_ = a.Records.ClearQueued(context.WithoutCancel(ctx), name, id)
		a.failure(w, r, err)
		return
	}
	a.Logger.Info("manual sync queued", "fabric", name, "sync_id", id)
	writeJSON(w, http.StatusAccepted, adminapi.SyncAccepted{SyncID: id})
}

func inProgress(w http.ResponseWriter, syncID string) {
	writeJSON(w, fgderr.SyncInProgress.Status(), adminapi.Error{Error: adminapi.ErrorDetail{
		Code: fgderr.SyncInProgress, Message: "a sync of this fabric is already queued or running", SyncID: syncID,
	}})
}

func (a *AdminAPI) getSync(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "id")
	rec, err := a.Records.GetRecord(r.Context(), id)
	if err == nil {
		if !a.inScope(w, r, rec.Fabric) {
			return
		}
		writeJSON(w, http.StatusOK, rec)
		return
	}
	if !errors.Is(err, store.ErrNotFound) {
		a.failure(w, r, err)
		return
	}
	// Not started yet: the queue knows it.
	info, qerr := a.Inspector.GetTaskInfo(jobs.DefaultQueue, id)
	if qerr != nil {
		writeError(w, fgderr.NotFound, "no sync "+id)
		return
	}
	var p jobs.SyncPayload
	_ = json.Unmarshal(info.Payload, &p)
	if !a.inScope(w, r, p.Fabric) {
		return
	}
	writeJSON(w, http.StatusOK, store.Record{ID: id, Fabric: p.Fabric, Trigger: string(p.Trigger), State: store.StateQueued,
		CorrelationID: p.DeliveryID, CreatedAt: p.CreatedAt, Stages: []store.Stage{}, ValidateOnly: p.Options.ValidateOnly})
}

func (a *AdminAPI) listSyncs(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "name")
	limit := 20
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			writeError(w, fgderr.SchemaValidation, "limit must be from 1 to 100")
			return
		}
		limit = n
	}
	if _, err := a.Registry.Fabric(r.Context(), name); err != nil {
		a.failure(w, r, err)
		return
	}
	recs, err := a.Records.ListRecords(r.Context(), name, limit)
	if err != nil {
		a.failure(w, r, err)
		return
	}
	if recs == nil {
		recs = []*store.Record{}
	}
	writeJSON(w, http.StatusOK, adminapi.SyncList{Fabric: name, Syncs: recs})
}

func (a *AdminAPI) resources(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "name")
	if _, err := a.Registry.Fabric(r.Context(), name); err != nil {
		a.failure(w, r, err)
		return
	}
	items, err := a.Records.Inventory(r.Context(), name, r.URL.Query().Get("kind"))
	if err != nil {
		a.failure(w, r, err)
		return
	}
	if items == nil {
		items = []store.Resource{}
	}
	writeJSON(w, http.StatusOK, adminapi.ResourceList{Fabric: name, Resources: items})
}

func (a *AdminAPI) health(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	start := time.Now()
	if err := a.Redis.Ping(ctx); err != nil {
		writeError(w, fgderr.Redis, "Redis does not answer")
		return
	}
	out := adminapi.Health{Redis: "ok", RedisLatencyMS: float64(time.Since(start).Microseconds()) / 1000,
		Queue: map[string]int{}, Workers: []adminapi.Worker{}}
	if info, err := a.Inspector.GetQueueInfo(jobs.DefaultQueue); err == nil {
		out.Queue = map[string]int{"pending": info.Pending, "active": info.Active, "scheduled": info.Scheduled, "retry": info.Retry, "archived": info.Archived}
	}
	if servers, err := a.Inspector.Servers(); err == nil {
		for _, s := range servers {
			out.Workers = append(out.Workers, adminapi.Worker{Host: s.Host, PID: s.PID, Status: s.Status, Concurrency: s.Concurrency,
				Active: len(s.ActiveWorkers), Started: s.Started})
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// BasicAuth protects a handler (Asynqmon) with the bootstrap admin token
// alone, as the basic-auth password (any user name) or a bearer token.
// AdminAPI.Dashboard also accepts stored admin tokens and audits.
func BasicAuth(token []byte, next http.Handler) http.Handler {
	return (&AdminAPI{Token: token}).Dashboard(next)
}
