package fgderr

import "net/http"

// Code is an FGD error code such as FGD_1001. Each code has one meaning and
// one HTTP status (Info); docs/codes.md lists them all.
type Code string

// The codes: 1xxx content, 2xxx folder structure, 3xxx sync, 4xxx GitHub,
// 5xxx fgd-sync itself, 6xxx the API request.
const (
	InvalidYAML         Code = "FGD_1001"
	UnsupportedResource Code = "FGD_1002"
	SchemaValidation    Code = "FGD_1003"
	VersionMismatch     Code = "FGD_1004"
	DuplicateResource   Code = "FGD_1005"
	LimitExceeded       Code = "FGD_1006"
	Integrity           Code = "FGD_1007"

	InvalidStructure Code = "FGD_2001"
	PathEscape       Code = "FGD_2002"
	Symlink          Code = "FGD_2003"
	RepairFailed     Code = "FGD_2004"

	SyncInProgress Code = "FGD_3001"
	SyncTimeout    Code = "FGD_3002"
	SyncCancelled  Code = "FGD_3003"
	SyncFailed     Code = "FGD_3004"

	GitHubConnection Code = "FGD_4001"
	GitHubAuth       Code = "FGD_4002"
	GitHubRateLimit  Code = "FGD_4003"
	GitHubNotFound   Code = "FGD_4004"

	Internal   Code = "FGD_5001"
	Store      Code = "FGD_5002"
	Redis      Code = "FGD_5003"
	WorkerPool Code = "FGD_5004"

	BadRequest       Code = "FGD_6001"
	Unauthorized     Code = "FGD_6002"
	Forbidden        Code = "FGD_6003"
	NotFound         Code = "FGD_6004"
	MethodNotAllowed Code = "FGD_6005"
)

// Transience says whether errors of a code are worth retrying.
type Transience string

// The transiences. Sometimes: the *Error says (Error.Transient).
const (
	Permanent Transience = "no"
	Transient Transience = "yes"
	Sometimes Transience = "sometimes"
)

// Info is what a code means.
type Info struct {
	Code Code
	// Status is the HTTP status of every API answer with this code.
	Status  int
	Meaning string
	// Transient says whether a sync that fails with this code is retried.
	Transient Transience
}

// codes is the table of docs/codes.md, in order.
var codes = []Info{
	{InvalidYAML, http.StatusBadRequest, "invalid YAML (or JSON) in a file or the fabrics file", Permanent},
	{UnsupportedResource, http.StatusBadRequest, "unsupported resource: a kind or group the schema bundle does not know, or a file that is not YAML", Permanent},
	{SchemaValidation, http.StatusBadRequest, "schema validation failed: a field of a resource or of a request body is wrong", Permanent},
	{VersionMismatch, http.StatusBadRequest, "schema or version mismatch: the apiVersion is not served by the bundle", Permanent},
	{DuplicateResource, http.StatusConflict, "duplicate-resource conflict: two documents (or two fabrics) claim one name", Permanent},
	{LimitExceeded, http.StatusRequestEntityTooLarge, "limit exceeded: a file, a document count or a request body is too large", Permanent},
	{Integrity, http.StatusConflict, "integrity: a resource breaks a rule across resources (a reference to a missing object, an overlap or a reuse)", Permanent},

	{InvalidStructure, http.StatusBadRequest, "invalid structure: the fabric folder or a fabric's fields are not as required", Permanent},
	{PathEscape, http.StatusBadRequest, "path escapes the fabric folder", Permanent},
	{Symlink, http.StatusBadRequest, "symlink: fgd-sync never follows symlinks", Permanent},
	{RepairFailed, http.StatusInternalServerError, "repair failed: the FGD structure could not be created", Permanent},

	{SyncInProgress, http.StatusConflict, "a sync of this fabric is already queued or running", Permanent},
	{SyncTimeout, http.StatusGatewayTimeout, "the sync timed out", Transient},
	{SyncCancelled, http.StatusConflict, "the sync was cancelled", Permanent},
	{SyncFailed, http.StatusInternalServerError, "the sync failed (the lock was lost, the branch kept moving, a commit failed)", Sometimes},

	{GitHubConnection, http.StatusBadGateway, "GitHub (API or git) is unreachable or answered 5xx", Transient},
	{GitHubAuth, http.StatusBadGateway, "GitHub refused fgd-sync's credentials", Permanent},
	{GitHubRateLimit, http.StatusServiceUnavailable, "GitHub rate limit: retried after the reset", Transient},
	{GitHubNotFound, http.StatusBadGateway, "not found on GitHub: the repository, the branch or the App installation", Sometimes},

	{Internal, http.StatusInternalServerError, "internal error of fgd-sync", Permanent},
	{Store, http.StatusServiceUnavailable, "the fabric registry or record store failed", Transient},
	{Redis, http.StatusServiceUnavailable, "Redis is unavailable", Transient},
	{WorkerPool, http.StatusServiceUnavailable, "no capacity now (the worker pool, or the webhook's memory budget for request bodies): retry later", Transient},

	{BadRequest, http.StatusBadRequest, "bad request: the request's shape is wrong (body unreadable, malformed JSON, missing header, unsupported Content-Type)", Permanent},
	{Unauthorized, http.StatusUnauthorized, "unauthorized: missing or wrong token, or a webhook signature that does not match", Permanent},
	{Forbidden, http.StatusForbidden, "forbidden: the caller may not do this", Permanent},
	{NotFound, http.StatusNotFound, "not found: no such endpoint, fabric or sync", Permanent},
	{MethodNotAllowed, http.StatusMethodNotAllowed, "method not allowed on this endpoint; the Allow header lists those that are", Permanent},
}

// Codes returns every code's Info, in order.
func Codes() []Info { return append([]Info(nil), codes...) }

// Info returns the code's meaning and HTTP status; an unknown code is
// reported as Internal's.
func (c Code) Info() Info {
	for _, i := range codes {
		if i.Code == c {
			return i
		}
	}
	return Info{Code: c, Status: http.StatusInternalServerError, Meaning: "unknown code", Transient: Permanent}
}

// Status is the HTTP status of an API answer with this code.
func (c Code) Status() int { return c.Info().Status }
