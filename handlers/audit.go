package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/githedgehog/fgd-sync/access"
	"github.com/githedgehog/fgd-sync/fgderr"
)

// auditTimeout bounds the write of one audit entry, after the answer.
const auditTimeout = 2 * time.Second

// maxAuditedPath bounds the path kept in an audit entry.
const maxAuditedPath = 512

func mutating(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	default:
		return true
	}
}

// auditMutations appends every mutating call of an authenticated token to
// the audit stream, whatever its outcome, with its status and FGD code.
// Calls without a valid token (401) are logged but not audited, so that
// nobody without a token can push real entries out of the stream.
func (a *AdminAPI) auditMutations(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !mutating(r.Method) {
			next.ServeHTTP(w, r)
			return
		}
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		body := &headOf{max: 4096}
		ww.Tee(body)
		next.ServeHTTP(ww, r)
		a.recordCall(r, ww.Status(), body.bytes)
	})
}

func (a *AdminAPI) recordCall(r *http.Request, status int, body []byte) {
	if status == 0 {
		status = http.StatusOK
	}
	var code fgderr.Code
	if status >= 400 {
		var eb errorBody
		if json.Unmarshal(body, &eb) == nil {
			code = eb.Error.Code
		}
	}
	c := callOf(r)
	path := c.path
	if len(path) > maxAuditedPath {
		path = path[:maxAuditedPath] + "…"
	}
	e := access.AuditEntry{Token: c.principal.Name, Method: r.Method, Path: path, Fabric: c.fabric, Subject: c.subject,
		Status: status, Code: code, RequestID: middleware.GetReqID(r.Context())}
	log := a.logger().With("token", e.Token, "method", e.Method, "path", e.Path, "fabric", e.Fabric, "status", e.Status,
		"code", e.Code, "request_id", e.RequestID)
	log.Info("admin call")
	if a.Access == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), auditTimeout)
	defer cancel()
	if err := a.Access.Record(ctx, e); err != nil {
		log.Error("audit entry not written", "error", err)
	}
}

// headOf keeps the first max bytes written to it: enough of an error
// answer to read its code.
type headOf struct {
	max   int
	bytes []byte
}

func (h *headOf) Write(p []byte) (int, error) {
	if room := h.max - len(h.bytes); room > 0 {
		h.bytes = append(h.bytes, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

// getAudit serves GET /audit?fabric=&limit=, newest first.
func (a *AdminAPI) getAudit(w http.ResponseWriter, r *http.Request) {
	limit := access.DefaultAuditLimit
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > access.MaxAuditLimit {
			writeError(w, fgderr.SchemaValidation, "limit must be from 1 to "+strconv.Itoa(access.MaxAuditLimit))
			return
		}
		limit = n
	}
	fabric := r.URL.Query().Get("fabric")
	if len(fabric) > 63 {
		writeError(w, fgderr.SchemaValidation, "fabric must be a fabric name")
		return
	}
	entries, err := a.Access.Entries(r.Context(), fabric, limit)
	if err != nil {
		a.accessFailure(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, access.AuditLog{Entries: entries})
}
