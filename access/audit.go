package access

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/githedgehog/fgd-sync/adminapi"
	"github.com/githedgehog/fgd-sync/fgderr"
)

// The audit stream keeps 100,000 entries and 90 days, whichever is less.
const (
	DefaultAuditMaxLen = 100_000
	DefaultAuditMaxAge = 90 * 24 * time.Hour
)

// Audit read limits of GET /api/v1/audit (see adminapi).
const (
	DefaultAuditLimit = adminapi.DefaultAuditLimit
	MaxAuditLimit     = adminapi.MaxAuditLimit
)

// The bodies of GET /api/v1/audit, declared in adminapi.
type (
	AuditEntry = adminapi.AuditEntry
	AuditLog   = adminapi.AuditLog
)

func (s *Store) auditKey() string { return s.prefix + "access:audit" }

// Record appends an entry and trims the stream by length (approximately,
// which is cheap) and by age (exactly, which costs only the entries
// dropped). e.Time is set when zero.
func (s *Store) Record(ctx context.Context, e AuditEntry) error {
	now := s.now()
	if e.Time.IsZero() {
		e.Time = now
	}
	values := map[string]any{
		"time": e.Time.UTC().Format(time.RFC3339Nano), "token": e.Token, "method": e.Method, "path": e.Path,
		"fabric": e.Fabric, "subject": e.Subject, "status": strconv.Itoa(e.Status), "code": string(e.Code), "request_id": e.RequestID,
	}
	minID := strconv.FormatInt(now.Add(-s.auditMaxAge).UnixMilli(), 10)
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.XAdd(ctx, &redis.XAddArgs{Stream: s.auditKey(), MaxLen: s.auditMaxLen, Approx: true, Values: values})
		p.XTrimMinID(ctx, s.auditKey(), minID)
		return nil
	})
	if err != nil {
		return redisErr("append to the audit stream", err)
	}
	return nil
}

// auditPage is how many entries Entries reads from Redis at a time.
const auditPage = 500

// Entries returns up to limit entries, newest first; only those of fabric
// when it is not "".
func (s *Store) Entries(ctx context.Context, fabric string, limit int) ([]AuditEntry, error) {
	if limit <= 0 || limit > MaxAuditLimit {
		return nil, fmt.Errorf("audit limit %d is not from 1 to %d", limit, MaxAuditLimit)
	}
	out := []AuditEntry{}
	end := "+"
	for len(out) < limit {
		page := int64(limit - len(out))
		if fabric != "" {
			page = auditPage
		}
		msgs, err := s.rdb.XRevRangeN(ctx, s.auditKey(), end, "-", page).Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			return nil, redisErr("read the audit stream", err)
		}
		for _, m := range msgs {
			e := entryOf(m)
			if (fabric == "" || e.Fabric == fabric) && len(out) < limit {
				out = append(out, e)
			}
		}
		if int64(len(msgs)) < page {
			break
		}
		end = "(" + msgs[len(msgs)-1].ID
	}
	return out, nil
}

func entryOf(m redis.XMessage) AuditEntry {
	str := func(k string) string { v, _ := m.Values[k].(string); return v }
	e := AuditEntry{ID: m.ID, Token: str("token"), Method: str("method"), Path: str("path"), Fabric: str("fabric"),
		Subject: str("subject"), Code: fgderr.Code(str("code")), RequestID: str("request_id")}
	e.Time, _ = time.Parse(time.RFC3339Nano, str("time"))
	e.Status, _ = strconv.Atoi(str("status"))
	return e
}
