package access

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"regexp"
	"slices"
	"time"

	"github.com/githedgehog/fgd-sync/adminapi"
	"github.com/githedgehog/fgd-sync/fgderr"
)

// Expiry bounds (see adminapi).
const (
	DefaultExpiresIn = adminapi.DefaultExpiresIn
	MinExpiresIn     = adminapi.MinExpiresIn
	MaxExpiresIn     = adminapi.MaxExpiresIn
)

// SecretPrefix starts every token fgd-sync issues, so that secret scanners
// and people recognize one.
const SecretPrefix = "fgd_"

// The bodies of POST and GET /api/v1/tokens, declared in adminapi.
type (
	CreateRequest = adminapi.CreateRequest
	TokenInfo     = adminapi.TokenInfo
	CreatedToken  = adminapi.CreatedToken
	TokenList     = adminapi.TokenList
)

// storedToken is a token's record in Redis, under its hash.
type storedToken struct {
	Name      string    `json:"name"`
	Role      Role      `json:"role"`
	Fabrics   []string  `json:"fabrics"`
	Hash      []byte    `json:"hash"` // SHA-256 of the secret
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by,omitempty"`
	ExpiresAt time.Time `json:"expires_at"`
}

func (t storedToken) info(now time.Time, lastUsed *time.Time) TokenInfo {
	return TokenInfo{Name: t.Name, Role: t.Role, Fabrics: t.Fabrics, CreatedAt: t.CreatedAt, CreatedBy: t.CreatedBy,
		ExpiresAt: t.ExpiresAt, Expired: !now.Before(t.ExpiresAt), LastUsedAt: lastUsed}
}

func (t storedToken) principal() Principal {
	return Principal{Name: t.Name, Role: t.Role, Fabrics: slices.Clone(t.Fabrics)}
}

// dnsLabel is the RFC 1123 label fabric names follow too.
var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)

// ValidName reports whether s can be a token's or a fabric's name (an RFC
// 1123 label). A secret never is one: it holds '_'.
func ValidName(s string) bool { return dnsLabel.MatchString(s) }

// validateRequest checks a request and returns its scope (sorted, without
// duplicates) and lifetime. Errors are *fgderr.Error a person can act on.
func validateRequest(req CreateRequest) ([]string, time.Duration, error) {
	if !dnsLabel.MatchString(req.Name) {
		// Not echoed: a pasted secret must not come back in an error.
		return nil, 0, fgderr.New(fgderr.SchemaValidation, "name: must be a DNS label (lowercase letters, digits and '-', at most 63)")
	}
	if req.Name == BootstrapName {
		return nil, 0, fgderr.New(fgderr.DuplicateResource, "name: %q is the HEDGEHOG_FGD_ADMIN_TOKEN's; choose another", req.Name)
	}
	if !req.Role.Valid() {
		return nil, 0, fgderr.New(fgderr.SchemaValidation, "role: %q must be read, trigger or admin", req.Role)
	}
	if len(req.Fabrics) == 0 {
		return nil, 0, fgderr.New(fgderr.SchemaValidation, `fabrics: list the fabrics the token covers, or ["*"] for all`)
	}
	scope := slices.Clone(req.Fabrics)
	slices.Sort(scope)
	scope = slices.Compact(scope)
	for _, f := range scope {
		switch {
		case f == AllFabrics && len(scope) > 1:
			return nil, 0, fgderr.New(fgderr.SchemaValidation, `fabrics: "*" covers every fabric and stands alone`)
		case f != AllFabrics && !dnsLabel.MatchString(f):
			return nil, 0, fgderr.New(fgderr.SchemaValidation, "fabrics: each must be a fabric name (a DNS label) or \"*\"")
		}
	}
	if req.Role == RoleAdmin && scope[0] != AllFabrics {
		return nil, 0, fgderr.New(fgderr.SchemaValidation, `fabrics: an admin token manages fabrics and tokens, so it covers every fabric: use ["*"], or role trigger or read`)
	}
	life := DefaultExpiresIn
	if req.ExpiresIn != "" {
		d, err := time.ParseDuration(req.ExpiresIn)
		if err != nil {
			return nil, 0, fgderr.New(fgderr.SchemaValidation, "expires_in: %q is not a duration such as 720h", req.ExpiresIn)
		}
		life = d
	}
	if life < MinExpiresIn || life > MaxExpiresIn {
		return nil, 0, fgderr.New(fgderr.SchemaValidation, "expires_in: %s must be from %s to %s", life, MinExpiresIn, MaxExpiresIn)
	}
	return scope, life, nil
}

// newSecret returns a fresh token: the prefix and 256 random bits.
func newSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return SecretPrefix + base64.RawURLEncoding.EncodeToString(b), nil
}

// HashSecret is the SHA-256 of a presented token, the only form stored.
func HashSecret(secret string) []byte {
	sum := sha256.Sum256([]byte(secret))
	return sum[:]
}
