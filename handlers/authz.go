package handlers

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net/http"
	"regexp"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/google/uuid"

	"github.com/githedgehog/fgd-sync/access"
	"github.com/githedgehog/fgd-sync/fgderr"
)

// AccessStore is the token store and the audit stream as the admin API uses
// them (access.Store). With none, only the bootstrap admin token is known
// and nothing is audited.
type AccessStore interface {
	Authenticate(ctx context.Context, secret string) (access.Principal, error)
	Create(ctx context.Context, req access.CreateRequest, createdBy string) (access.CreatedToken, error)
	List(ctx context.Context) ([]access.TokenInfo, error)
	Revoke(ctx context.Context, name string) error
	Record(ctx context.Context, e access.AuditEntry) error
	Entries(ctx context.Context, fabric string, limit int) ([]access.AuditEntry, error)
}

// call is what the middlewares learn about one admin call: who made it,
// and what its audit entry says. Handlers add the fabric or token a call
// names in its body.
type call struct {
	principal access.Principal
	path      string // the URL path, with any presented secret redacted
	fabric    string
	subject   string
}

type callKey struct{}

func callOf(r *http.Request) *call {
	if c, ok := r.Context().Value(callKey{}).(*call); ok {
		return c
	}
	return &call{} // unauthenticated: no role, so allow refuses everything
}

// noteFabric names the fabric of a call in its audit entry.
func noteFabric(r *http.Request, fabric string) { callOf(r).fabric = fabric }

// noteSubject names the token a call creates or revokes in its audit entry.
func noteSubject(r *http.Request, name string) { callOf(r).subject = name }

func (a *AdminAPI) logger() *slog.Logger {
	if a.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return a.Logger
}

// identify returns whose token secret is: the bootstrap admin's
// (HEDGEHOG_FGD_ADMIN_TOKEN) or a stored one's. Both comparisons take a time
// that does not depend on the secret: the bootstrap token is compared by
// SHA-256 in constant time, stored tokens are looked up by SHA-256.
func (a *AdminAPI) identify(ctx context.Context, secret string) (access.Principal, error) {
	if secret == "" {
		return access.Principal{}, access.ErrUnknownToken
	}
	if len(a.Token) > 0 {
		want, got := sha256.Sum256(a.Token), sha256.Sum256([]byte(secret))
		if subtle.ConstantTimeCompare(want[:], got[:]) == 1 {
			return access.Bootstrap(), nil
		}
	}
	if a.Access == nil {
		return access.Principal{}, access.ErrUnknownToken
	}
	return a.Access.Authenticate(ctx, secret)
}

// bearerToken reads "Authorization: Bearer <token>".
func bearerToken(r *http.Request) string {
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return tok
}

// dashboardToken reads the basic-auth password (any user name), or a
// bearer token.
func dashboardToken(r *http.Request) string {
	if _, pw, ok := r.BasicAuth(); ok {
		return pw
	}
	return bearerToken(r)
}

// authenticated answers 401 unless the request carries a known, live
// token, and puts the call's principal in the request's context. The
// secret goes nowhere else: not into a log, an error or the audit.
func (a *AdminAPI) authenticated(credential func(*http.Request) string, challenge, need string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			secret := credential(r)
			p, err := a.identify(r.Context(), secret)
			if err != nil {
				a.refuse(w, r, err, challenge, need)
				return
			}
			c := &call{principal: p, path: redactedPath(r, secret)}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), callKey{}, c)))
		})
	}
}

// redactedPath is the request's path as logs and the audit show it: the
// presented secret, and any segment shaped like an fgd-sync token (pasted
// where a name belongs), are replaced.
func redactedPath(r *http.Request, presented string) string {
	segs := strings.Split(r.URL.Path, "/")
	for i, s := range segs {
		if strings.HasPrefix(s, access.SecretPrefix) {
			segs[i] = "[redacted]"
		}
	}
	return fgderr.Redact(strings.Join(segs, "/"), presented)
}

func (a *AdminAPI) refuse(w http.ResponseWriter, r *http.Request, err error, challenge, need string) {
	log := a.logger().With("method", r.Method, "path", redactedPath(r, dashboardToken(r)), "request_id", middleware.GetReqID(r.Context()))
	switch {
	case errors.Is(err, access.ErrExpiredToken):
		log.Warn("admin API: token refused", "reason", "expired")
		w.Header().Set("WWW-Authenticate", challenge)
		writeError(w, fgderr.Unauthorized, "the token has expired; an admin can create a new one (POST /api/v1/tokens)")
	case errors.Is(err, access.ErrUnknownToken):
		log.Warn("admin API: token refused", "reason", "missing, unknown or revoked")
		w.Header().Set("WWW-Authenticate", challenge)
		writeError(w, fgderr.Unauthorized, "missing, unknown or revoked token; "+need)
	default:
		log.Error("admin API: the token could not be checked", "error", err)
		writeError(w, fgderr.Redis, "Redis is unavailable, so the token could not be checked; try again")
	}
}

// allow lets a call through when its token's role includes need.
func (a *AdminAPI) allow(need access.Role) func(http.Handler) http.Handler {
	return a.allowOn(need, false)
}

// allowFabric lets a call on the fabric {name} through when its token's
// role includes need and its scope covers the fabric. An out-of-scope
// fabric answers 403 whether it exists or not.
func (a *AdminAPI) allowFabric(need access.Role) func(http.Handler) http.Handler {
	return a.allowOn(need, true)
}

func (a *AdminAPI) allowOn(need access.Role, fabricRoute bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c := callOf(r)
			fabric := ""
			if fabricRoute {
				// A name that cannot be a fabric's is not echoed anywhere.
				if fabric = chi.URLParam(r, "name"); !access.ValidName(fabric) {
					writeError(w, fgderr.NotFound, "no such fabric: fabric names are DNS labels (lowercase letters, digits and '-')")
					return
				}
				c.fabric = fabric
			}
			if !c.principal.Role.Includes(need) {
				a.forbid(w, r, "token "+quote(c.principal.Name)+" has role "+quote(string(c.principal.Role))+"; this needs role "+string(need))
				return
			}
			if fabricRoute && !c.principal.Covers(fabric) {
				a.forbid(w, r, "token "+quote(c.principal.Name)+" does not cover fabric "+quote(fabric))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// inScope reports whether the call's token covers fabric, answering 403
// when it does not.
func (a *AdminAPI) inScope(w http.ResponseWriter, r *http.Request, fabric string) bool {
	c := callOf(r)
	if c.principal.Covers(fabric) {
		return true
	}
	a.forbid(w, r, "token "+quote(c.principal.Name)+" does not cover fabric "+quote(fabric))
	return false
}

func (a *AdminAPI) forbid(w http.ResponseWriter, r *http.Request, msg string) {
	a.logger().Warn("admin API: call forbidden", "token", callOf(r).principal.Name, "method", r.Method, "path", callOf(r).path,
		"reason", msg, "request_id", middleware.GetReqID(r.Context()))
	writeError(w, fgderr.Forbidden, msg)
}

func quote(s string) string { return `"` + s + `"` }

// requestIDPattern is what a caller's X-Request-Id may be; another value
// is replaced, as it ends up in logs and the audit.
var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._:/+=-]{1,128}$`)

func wellFormedRequestID(id string) bool {
	return requestIDPattern.MatchString(id) && !strings.HasPrefix(id, access.SecretPrefix)
}

// withRequestID gives every admin call an id: the caller's X-Request-Id
// (or an outer middleware.RequestID's) when well formed, else a new one.
// The answer carries it in X-Request-Id.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := middleware.GetReqID(r.Context())
		if !wellFormedRequestID(id) {
			id = r.Header.Get(middleware.RequestIDHeader)
		}
		if !wellFormedRequestID(id) {
			id = uuid.NewString()
		}
		w.Header().Set(middleware.RequestIDHeader, id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), middleware.RequestIDKey, id)))
	})
}

// Dashboard protects a handler (Asynqmon) with an admin token: the
// bootstrap one or a stored admin-role token, as the basic-auth password
// (any user name) or as a bearer token. Its mutating calls are audited.
func (a *AdminAPI) Dashboard(next http.Handler) http.Handler {
	authn := a.authenticated(dashboardToken, `Basic realm="fgd-sync monitoring", charset="UTF-8"`,
		"the monitoring dashboard needs an admin token as the basic-auth password")
	return withRequestID(authn(a.auditMutations(a.allow(access.RoleAdmin)(next))))
}
