package adminapi

import (
	"time"

	"github.com/githedgehog/fgd-sync/fgderr"
)

// The bodies of /tokens and /audit. Package access, which keeps the tokens
// and the audit stream in Redis, names them by aliases (access.TokenInfo is
// TokenInfo), so the server and fgdctl decode one shape without fgdctl
// linking Redis.

// Role is what a token may do. Each role includes the ones before it.
type Role string

// The roles.
const (
	// RoleRead may GET fabrics, syncs and resources in its scope.
	RoleRead Role = "read"
	// RoleTrigger may also POST /fabrics/{name}/sync in its scope.
	RoleTrigger Role = "trigger"
	// RoleAdmin may do everything: fabrics, tokens, audit, health, the
	// dashboard. An admin token always covers every fabric.
	RoleAdmin Role = "admin"
)

// Roles lists the roles, weakest first.
func Roles() []Role { return []Role{RoleRead, RoleTrigger, RoleAdmin} }

// AllFabrics is the scope of a token that covers every fabric.
const AllFabrics = "*"

func (r Role) rank() int {
	switch r {
	case RoleRead:
		return 1
	case RoleTrigger:
		return 2
	case RoleAdmin:
		return 3
	default:
		return 0
	}
}

// Valid reports whether r is one of the roles.
func (r Role) Valid() bool { return r.rank() > 0 }

// Includes reports whether a token of role r may do what need allows.
func (r Role) Includes(need Role) bool { return r.rank() > 0 && r.rank() >= need.rank() }

// Expiry bounds: a token lives 30 days unless asked otherwise, a year at
// the most, so that a forgotten token dies on its own.
const (
	DefaultExpiresIn = 720 * time.Hour
	MinExpiresIn     = time.Minute
	MaxExpiresIn     = 8760 * time.Hour
)

// CreateRequest is the body of POST /tokens.
type CreateRequest struct {
	Name    string   `json:"name"`
	Role    Role     `json:"role"`
	Fabrics []string `json:"fabrics"`
	// ExpiresIn is a Go duration such as "720h"; empty means
	// DefaultExpiresIn.
	ExpiresIn string `json:"expires_in,omitempty"`
}

// TokenInfo is a token as GET /tokens lists it: never its secret nor its
// hash.
type TokenInfo struct {
	Name       string     `json:"name"`
	Role       Role       `json:"role"`
	Fabrics    []string   `json:"fabrics"`
	CreatedAt  time.Time  `json:"created_at"`
	CreatedBy  string     `json:"created_by,omitempty"`
	ExpiresAt  time.Time  `json:"expires_at"`
	Expired    bool       `json:"expired"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

// CreatedToken answers POST /tokens with 201: the only time the secret is
// shown.
type CreatedToken struct {
	TokenInfo
	Token string `json:"token"`
}

// TokenList answers GET /tokens.
type TokenList struct {
	Tokens []TokenInfo `json:"tokens"`
}

// StatusRevoked is TokenRevoked's status.
const StatusRevoked = "revoked"

// TokenRevoked answers DELETE /tokens/{name}.
type TokenRevoked struct {
	Status string `json:"status"`
	Name   string `json:"name"`
}

// Audit read limits of GET /audit.
const (
	DefaultAuditLimit = 100
	MaxAuditLimit     = 1000
)

// AuditEntry is one mutating admin call, as GET /audit lists it.
type AuditEntry struct {
	// ID is the entry's stream id (set when read).
	ID   string    `json:"id,omitempty"`
	Time time.Time `json:"time"`
	// Token is the caller's token name; never its secret.
	Token  string `json:"token"`
	Method string `json:"method"`
	Path   string `json:"path"`
	// Fabric is the fabric the call concerned, if any.
	Fabric string `json:"fabric,omitempty"`
	// Subject is the token a token call created or revoked, if any.
	Subject   string      `json:"subject,omitempty"`
	Status    int         `json:"status"`
	Code      fgderr.Code `json:"code,omitempty"`
	RequestID string      `json:"request_id,omitempty"`
}

// AuditLog answers GET /audit, newest first.
type AuditLog struct {
	Entries []AuditEntry `json:"entries"`
}
