package access

import (
	"context"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/githedgehog/fgd-sync/fgderr"
)

// Errors of Authenticate and Revoke. ErrUnknownToken and ErrExpiredToken
// answer 401 alike; a revoked token is unknown.
var (
	ErrUnknownToken = errors.New("unknown or revoked token")
	ErrExpiredToken = errors.New("expired token")
	ErrNoSuchToken  = errors.New("no token of that name")
)

// LastUseEvery is how stale a token's last use may be: each process writes
// it at most once per interval and token, not on every request.
const LastUseEvery = time.Minute

// Options tune a Store. The zero value is production's.
type Options struct {
	// Prefix starts every key, as in registry.New ("fgd:" when empty).
	Prefix string
	// AuditMaxLen and AuditMaxAge bound the audit stream (100,000 entries
	// and 90 days when zero).
	AuditMaxLen int64
	AuditMaxAge time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Store keeps the tokens and the audit stream in Redis:
//
//	<prefix>access:tokens     hash: hex SHA-256 of the secret → token record
//	<prefix>access:names      hash: name → hex SHA-256
//	<prefix>access:last_used  hash: name → RFC 3339 time of the last use
//	<prefix>access:audit      stream of AuditEntry
type Store struct {
	rdb         redis.UniversalClient
	prefix      string
	auditMaxLen int64
	auditMaxAge time.Duration
	now         func() time.Time

	mu sync.Mutex
	// touched is when this process last wrote a token's last use, by hash.
	touched map[string]time.Time
}

// New returns the store.
func New(rdb redis.UniversalClient, o Options) *Store {
	s := &Store{rdb: rdb, prefix: o.Prefix, auditMaxLen: o.AuditMaxLen, auditMaxAge: o.AuditMaxAge, now: o.Now,
		touched: map[string]time.Time{}}
	if s.prefix == "" {
		s.prefix = "fgd:"
	}
	if s.auditMaxLen <= 0 {
		s.auditMaxLen = DefaultAuditMaxLen
	}
	if s.auditMaxAge <= 0 {
		s.auditMaxAge = DefaultAuditMaxAge
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

func (s *Store) tokensKey() string   { return s.prefix + "access:tokens" }
func (s *Store) namesKey() string    { return s.prefix + "access:names" }
func (s *Store) lastUsedKey() string { return s.prefix + "access:last_used" }

// redisErr marks a Redis failure as transient, for a 503.
func redisErr(what string, err error) error {
	return fgderr.Retryable(fgderr.Redis, what, err)
}

// watch runs fn in an optimistic transaction on the names, again when
// another writer changed them meanwhile.
func (s *Store) watch(ctx context.Context, fn func(*redis.Tx) error) error {
	var err error
	for attempt := 0; attempt < 10; attempt++ {
		if err = s.rdb.Watch(ctx, fn, s.namesKey()); !errors.Is(err, redis.TxFailedErr) {
			return err
		}
	}
	return fmt.Errorf("too much contention on the tokens: %w", err)
}

// Create stores a new token and returns it with its secret, which is kept
// nowhere. createdBy is the name of the token that asked. A taken name is
// a 409 (FGD_1005); a wrong field a 400 (FGD_1003).
func (s *Store) Create(ctx context.Context, req CreateRequest, createdBy string) (CreatedToken, error) {
	scope, life, err := validateRequest(req)
	if err != nil {
		return CreatedToken{}, err
	}
	secret, err := newSecret()
	if err != nil {
		return CreatedToken{}, fmt.Errorf("generate a token: %w", err)
	}
	now := s.now().UTC()
	rec := storedToken{Name: req.Name, Role: req.Role, Fabrics: scope, Hash: HashSecret(secret),
		CreatedAt: now, CreatedBy: createdBy, ExpiresAt: now.Add(life)}
	body, err := json.Marshal(rec)
	if err != nil {
		return CreatedToken{}, err
	}
	hash := hex.EncodeToString(rec.Hash)
	taken := false
	err = s.watch(ctx, func(tx *redis.Tx) error {
		n, err := tx.HExists(ctx, s.namesKey(), req.Name).Result()
		if err != nil {
			return err
		}
		if taken = n; taken {
			return nil
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.HSet(ctx, s.namesKey(), req.Name, hash)
			p.HSet(ctx, s.tokensKey(), hash, body)
			p.HDel(ctx, s.lastUsedKey(), req.Name)
			return nil
		})
		return err
	})
	switch {
	case err != nil:
		return CreatedToken{}, redisErr("store the token", err)
	case taken:
		return CreatedToken{}, fgderr.New(fgderr.DuplicateResource, "a token named %q exists; remove it first (DELETE /api/v1/tokens/%s) or choose another name", req.Name, req.Name)
	}
	return CreatedToken{TokenInfo: rec.info(now, nil), Token: secret}, nil
}

// List returns every token, by name, with its last use.
func (s *Store) List(ctx context.Context) ([]TokenInfo, error) {
	var tokens, used *redis.MapStringStringCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		tokens = p.HGetAll(ctx, s.tokensKey())
		used = p.HGetAll(ctx, s.lastUsedKey())
		return nil
	})
	if err != nil {
		return nil, redisErr("list the tokens", err)
	}
	now := s.now()
	out := make([]TokenInfo, 0, len(tokens.Val()))
	for _, raw := range tokens.Val() {
		var rec storedToken
		if err := json.Unmarshal([]byte(raw), &rec); err != nil {
			return nil, fmt.Errorf("decode a token record: %w", err)
		}
		var last *time.Time
		if v, ok := used.Val()[rec.Name]; ok {
			if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
				last = &t
			}
		}
		out = append(out, rec.info(now, last))
	}
	slices.SortFunc(out, func(a, b TokenInfo) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// Revoke deletes a token; the next request with it gets 401.
// ErrNoSuchToken when there is none of that name.
func (s *Store) Revoke(ctx context.Context, name string) error {
	found := false
	err := s.watch(ctx, func(tx *redis.Tx) error {
		found = false
		hash, err := tx.HGet(ctx, s.namesKey(), name).Result()
		if errors.Is(err, redis.Nil) {
			return nil
		}
		if err != nil {
			return err
		}
		found = true
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.HDel(ctx, s.namesKey(), name)
			p.HDel(ctx, s.tokensKey(), hash)
			p.HDel(ctx, s.lastUsedKey(), name)
			return nil
		})
		return err
	})
	switch {
	case err != nil:
		return redisErr("revoke the token", err)
	case !found:
		return ErrNoSuchToken
	}
	return nil
}

// Authenticate returns the principal of a presented token: ErrUnknownToken
// for an unknown or revoked one, ErrExpiredToken past its expiry, a
// transient *fgderr.Error when Redis fails. Errors never hold the secret.
//
// The token is looked up by its SHA-256, so the lookup's time does not
// depend on how much of the secret is right; the stored hash is then
// compared in constant time.
func (s *Store) Authenticate(ctx context.Context, secret string) (Principal, error) {
	if secret == "" {
		return Principal{}, ErrUnknownToken
	}
	sum := HashSecret(secret)
	hash := hex.EncodeToString(sum)
	raw, err := s.rdb.HGet(ctx, s.tokensKey(), hash).Bytes()
	if errors.Is(err, redis.Nil) {
		return Principal{}, ErrUnknownToken
	}
	if err != nil {
		return Principal{}, redisErr("look up the token", err)
	}
	var rec storedToken
	if err := json.Unmarshal(raw, &rec); err != nil {
		return Principal{}, fmt.Errorf("decode a token record: %w", err)
	}
	if subtle.ConstantTimeCompare(rec.Hash, sum) != 1 {
		return Principal{}, ErrUnknownToken
	}
	now := s.now()
	if !now.Before(rec.ExpiresAt) {
		return Principal{}, ErrExpiredToken
	}
	if s.dueForTouch(hash, now) {
		// Best effort: a failed write only leaves the last use older.
		_ = s.rdb.HSet(ctx, s.lastUsedKey(), rec.Name, now.UTC().Format(time.RFC3339Nano)).Err()
	}
	return rec.principal(), nil
}

// dueForTouch reports whether this process should write the token's last
// use now, and if so notes that it did.
func (s *Store) dueForTouch(hash string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if last, ok := s.touched[hash]; ok && now.Sub(last) < LastUseEvery {
		return false
	}
	if len(s.touched) > 10000 { // revoked tokens' entries: drop the stale ones
		for h, t := range s.touched {
			if now.Sub(t) >= LastUseEvery {
				delete(s.touched, h)
			}
		}
	}
	s.touched[hash] = now
	return true
}
