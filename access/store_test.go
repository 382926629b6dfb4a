package access

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/githedgehog/fgd-sync/fgderr"
	"github.com/githedgehog/fgd-sync/internal/testredis"
)

// clock is a test clock the store reads.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newStore(t *testing.T, o Options) (*Store, redis.UniversalClient) {
	t.Helper()
	srv := testredis.New(t)
	opt, err := redis.ParseURL(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { _ = rdb.Close() })
	o.Prefix = testredis.Unique("access") + ":"
	return New(rdb, o), rdb
}

func TestCreateValidation(t *testing.T) {
	s, _ := newStore(t, Options{})
	ctx := context.Background()
	if _, err := s.Create(ctx, CreateRequest{Name: "ci", Role: RoleRead, Fabrics: []string{"dc1"}}, "tester"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		req  CreateRequest
		code fgderr.Code
		msg  string
	}{
		{"name not a DNS label", CreateRequest{Name: "CI_bot", Role: RoleRead, Fabrics: []string{"dc1"}}, fgderr.SchemaValidation, "name"},
		{"empty name", CreateRequest{Role: RoleRead, Fabrics: []string{"dc1"}}, fgderr.SchemaValidation, "name"},
		{"name of the bootstrap token", CreateRequest{Name: BootstrapName, Role: RoleAdmin, Fabrics: []string{"*"}}, fgderr.DuplicateResource, "HEDGEHOG_FGD_ADMIN_TOKEN"},
		{"taken name", CreateRequest{Name: "ci", Role: RoleRead, Fabrics: []string{"dc1"}}, fgderr.DuplicateResource, "exists"},
		{"unknown role", CreateRequest{Name: "x", Role: "owner", Fabrics: []string{"dc1"}}, fgderr.SchemaValidation, "role"},
		{"no fabrics", CreateRequest{Name: "x", Role: RoleRead}, fgderr.SchemaValidation, "fabrics"},
		{"star among names", CreateRequest{Name: "x", Role: RoleRead, Fabrics: []string{"dc1", "*"}}, fgderr.SchemaValidation, "stands alone"},
		{"bad fabric name", CreateRequest{Name: "x", Role: RoleRead, Fabrics: []string{"../dc1"}}, fgderr.SchemaValidation, "fabrics"},
		{"admin with a narrow scope", CreateRequest{Name: "x", Role: RoleAdmin, Fabrics: []string{"dc1"}}, fgderr.SchemaValidation, "admin"},
		{"expiry not a duration", CreateRequest{Name: "x", Role: RoleRead, Fabrics: []string{"dc1"}, ExpiresIn: "a month"}, fgderr.SchemaValidation, "expires_in"},
		{"expiry too short", CreateRequest{Name: "x", Role: RoleRead, Fabrics: []string{"dc1"}, ExpiresIn: "10s"}, fgderr.SchemaValidation, "expires_in"},
		{"expiry too long", CreateRequest{Name: "x", Role: RoleRead, Fabrics: []string{"dc1"}, ExpiresIn: "87600h"}, fgderr.SchemaValidation, "expires_in"},
		{"negative expiry", CreateRequest{Name: "x", Role: RoleRead, Fabrics: []string{"dc1"}, ExpiresIn: "-1h"}, fgderr.SchemaValidation, "expires_in"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Create(ctx, tc.req, "tester")
			var fe *fgderr.Error
			if !errors.As(err, &fe) || fe.Code != tc.code || !strings.Contains(fe.Msg, tc.msg) {
				t.Fatalf("got %v, want %s mentioning %q", err, tc.code, tc.msg)
			}
		})
	}
	list, err := s.List(ctx)
	if err != nil || len(list) != 1 {
		t.Fatalf("after the refused creates: %v %v", list, err)
	}
}

// TestTokenLifecycle: a created token authenticates as its name, role and
// scope (sorted, without duplicates); a wrong or near-miss secret does
// not; a revoked one is unknown at once; nothing stored holds the secret.
func TestTokenLifecycle(t *testing.T) {
	s, rdb := newStore(t, Options{})
	ctx := context.Background()
	created, err := s.Create(ctx, CreateRequest{Name: "ci-dc1", Role: RoleTrigger, Fabrics: []string{"dc2", "dc1", "dc2"}, ExpiresIn: "24h"}, "bootstrap-admin")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(created.Token, SecretPrefix) || len(created.Token) != len(SecretPrefix)+43 {
		t.Fatalf("token %q is not the prefix and 256 bits", created.Token)
	}
	if created.ExpiresAt.Sub(created.CreatedAt) != 24*time.Hour || created.CreatedBy != "bootstrap-admin" {
		t.Fatalf("created %+v", created.TokenInfo)
	}
	p, err := s.Authenticate(ctx, created.Token)
	if err != nil || p.Name != "ci-dc1" || p.Role != RoleTrigger || strings.Join(p.Fabrics, ",") != "dc1,dc2" {
		t.Fatalf("authenticate: %+v %v", p, err)
	}
	last := created.Token[len(created.Token)-1]
	nearMiss := created.Token[:len(created.Token)-1] + string(last^1)
	for _, wrong := range []string{"", "fgd_nope", nearMiss, strings.ToUpper(created.Token), created.Token + "x"} {
		if _, err := s.Authenticate(ctx, wrong); !errors.Is(err, ErrUnknownToken) {
			t.Fatalf("secret %q: %v, want ErrUnknownToken", wrong, err)
		}
	}
	second, err := s.Create(ctx, CreateRequest{Name: "reader", Role: RoleRead, Fabrics: []string{"*"}}, "ci-dc1")
	if err != nil {
		t.Fatal(err)
	}
	if second.ExpiresAt.Sub(second.CreatedAt) != DefaultExpiresIn {
		t.Fatalf("default expiry %s", second.ExpiresAt.Sub(second.CreatedAt))
	}

	list, err := s.List(ctx)
	if err != nil || len(list) != 2 || list[0].Name != "ci-dc1" || list[1].Name != "reader" || list[0].LastUsedAt == nil || list[1].LastUsedAt != nil {
		t.Fatalf("list %+v %v", list, err)
	}
	raw, _ := json.Marshal(TokenList{Tokens: list})
	assertNoSecret(t, "the token list", string(raw), created.Token, second.Token)
	assertNoSecretInRedis(t, rdb, s.prefix, created.Token, second.Token)

	if err := s.Revoke(ctx, "ci-dc1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, created.Token); !errors.Is(err, ErrUnknownToken) {
		t.Fatalf("revoked token: %v", err)
	}
	if err := s.Revoke(ctx, "ci-dc1"); !errors.Is(err, ErrNoSuchToken) {
		t.Fatalf("second revoke: %v", err)
	}
	if _, err := s.Authenticate(ctx, second.Token); err != nil {
		t.Fatalf("the other token after a revoke: %v", err)
	}
	// The name is free again, for a new secret.
	again, err := s.Create(ctx, CreateRequest{Name: "ci-dc1", Role: RoleRead, Fabrics: []string{"dc1"}}, "x")
	if err != nil || again.Token == created.Token {
		t.Fatalf("re-create: %v", err)
	}
	if list, _ := s.List(ctx); list[0].Name != "ci-dc1" || list[0].LastUsedAt != nil {
		t.Fatalf("the re-created token inherited a last use: %+v", list[0])
	}
}

// TestExpiry: a token works until its expiry and is refused from then on,
// and the list marks it expired.
func TestExpiry(t *testing.T) {
	c := &clock{t: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	s, _ := newStore(t, Options{Now: c.Now})
	ctx := context.Background()
	tok, err := s.Create(ctx, CreateRequest{Name: "short", Role: RoleRead, Fabrics: []string{"dc1"}, ExpiresIn: "1h"}, "x")
	if err != nil {
		t.Fatal(err)
	}
	c.Add(time.Hour - time.Second)
	if _, err := s.Authenticate(ctx, tok.Token); err != nil {
		t.Fatalf("a second before expiry: %v", err)
	}
	c.Add(time.Second)
	if _, err := s.Authenticate(ctx, tok.Token); !errors.Is(err, ErrExpiredToken) {
		t.Fatalf("at expiry: %v", err)
	}
	if list, _ := s.List(ctx); len(list) != 1 || !list[0].Expired {
		t.Fatalf("list %+v", list)
	}
}

// TestLastUseThrottled: the last use is written on the first request and
// then at most once per LastUseEvery.
func TestLastUseThrottled(t *testing.T) {
	c := &clock{t: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	s, rdb := newStore(t, Options{Now: c.Now})
	ctx := context.Background()
	tok, err := s.Create(ctx, CreateRequest{Name: "busy", Role: RoleRead, Fabrics: []string{"*"}}, "x")
	if err != nil {
		t.Fatal(err)
	}
	lastUse := func() string { return rdb.HGet(ctx, s.lastUsedKey(), "busy").Val() }
	start := c.Now()
	steps := []struct {
		advance time.Duration
		want    time.Time
	}{
		{0, start},
		{30 * time.Second, start},
		{29 * time.Second, start},
		{time.Second, start.Add(time.Minute)},
		{time.Second, start.Add(time.Minute)},
		{time.Hour, start.Add(time.Hour + 61*time.Second)},
	}
	for i, st := range steps {
		c.Add(st.advance)
		if _, err := s.Authenticate(ctx, tok.Token); err != nil {
			t.Fatal(err)
		}
		if got := lastUse(); got != st.want.Format(time.RFC3339Nano) {
			t.Fatalf("step %d: last use %q, want %s", i, got, st.want.Format(time.RFC3339Nano))
		}
	}
}

func assertNoSecret(t *testing.T, where, text string, secrets ...string) {
	t.Helper()
	for _, sec := range secrets {
		body := strings.TrimPrefix(sec, SecretPrefix)
		if strings.Contains(text, body) {
			t.Errorf("a token secret appears in %s", where)
		}
	}
}

// assertNoSecretInRedis reads every key of the store and looks for each
// secret in it.
func assertNoSecretInRedis(t *testing.T, rdb redis.UniversalClient, prefix string, secrets ...string) {
	t.Helper()
	ctx := context.Background()
	keys, err := rdb.Keys(ctx, prefix+"*").Result()
	if err != nil || len(keys) == 0 {
		t.Fatalf("keys: %v %v", keys, err)
	}
	var all strings.Builder
	for _, k := range keys {
		dump, err := rdb.Dump(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		all.WriteString(dump)
		if typ := rdb.Type(ctx, k).Val(); typ == "hash" {
			for f, v := range rdb.HGetAll(ctx, k).Val() {
				all.WriteString(f + "=" + v + "\n")
			}
		}
	}
	assertNoSecret(t, "Redis", all.String(), secrets...)
	for _, sec := range secrets {
		// The hash is stored; it must be the SHA-256, not something
		// reversible such as an encoding of the secret.
		raw := strings.TrimPrefix(sec, SecretPrefix)
		decoded, _ := base64.RawURLEncoding.DecodeString(raw)
		if strings.Contains(all.String(), string(decoded)) || strings.Contains(all.String(), hex.EncodeToString(decoded)) {
			t.Errorf("the secret's bytes are stored")
		}
		if !strings.Contains(all.String(), hex.EncodeToString(HashSecret(sec))) {
			t.Errorf("the SHA-256 of the secret is not what is stored")
		}
	}
}
