package handlers

import (
	"errors"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/githedgehog/fgd-sync/access"
	"github.com/githedgehog/fgd-sync/adminapi"
	"github.com/githedgehog/fgd-sync/fgderr"
)

// createToken serves POST /tokens: the answer is the only place the new
// secret ever appears.
func (a *AdminAPI) createToken(w http.ResponseWriter, r *http.Request) {
	var req access.CreateRequest
	if !decodeStrict(w, r, &req, false) {
		return
	}
	if access.ValidName(req.Name) {
		noteSubject(r, req.Name)
	}
	created, err := a.Access.Create(r.Context(), req, callOf(r).principal.Name)
	if err != nil {
		a.accessFailure(w, r, err)
		return
	}
	a.logger().Info("token created", "token", created.Name, "role", created.Role, "fabrics", created.Fabrics,
		"expires_at", created.ExpiresAt, "by", created.CreatedBy)
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, created)
}

// listTokens serves GET /tokens: names, roles, scopes, expiry, last use.
func (a *AdminAPI) listTokens(w http.ResponseWriter, r *http.Request) {
	list, err := a.Access.List(r.Context())
	if err != nil {
		a.accessFailure(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, access.TokenList{Tokens: list})
}

// revokeToken serves DELETE /tokens/{name}: the token is refused from the
// next request on.
func (a *AdminAPI) revokeToken(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "name")
	if !access.ValidName(name) {
		writeError(w, fgderr.NotFound, "no such token: token names are DNS labels (lowercase letters, digits and '-')")
		return
	}
	noteSubject(r, name)
	if err := a.Access.Revoke(r.Context(), name); err != nil {
		a.accessFailure(w, r, err)
		return
	}
	a.logger().Info("token revoked", "token", name, "by", callOf(r).principal.Name)
	writeJSON(w, http.StatusOK, adminapi.TokenRevoked{Status: adminapi.StatusRevoked, Name: name})
}

// accessFailure answers an error of the token store or the audit stream.
func (a *AdminAPI) accessFailure(w http.ResponseWriter, r *http.Request, err error) {
	var fe *fgderr.Error
	switch {
	case errors.Is(err, access.ErrNoSuchToken):
		writeError(w, fgderr.NotFound, "no token "+quote(chi.URLParam(r, "name")))
	case errors.As(err, &fe) && !fe.Transient:
		writeError(w, fe.Code, fe.Msg)
	default:
		a.logger().Error("admin API: Redis unavailable", "path", callOf(r).path, "error", err)
		writeError(w, fgderr.Redis, "Redis is unavailable; try again")
	}
}
