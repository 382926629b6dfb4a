package access

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/githedgehog/fgd-sync/fgderr"
)

// TestAuditEntries: entries come back newest first with every field; the
// fabric filter pages through entries of other fabrics.
func TestAuditEntries(t *testing.T) {
	s, _ := newStore(t, Options{})
	ctx := context.Background()
	const total = 1200
	for i := 0; i < total; i++ {
		fabric := "dc2"
		if i%10 == 0 {
			fabric = "dc1"
		}
		e := AuditEntry{Token: "tok-" + strconv.Itoa(i), Method: "POST", Path: "/api/v1/fabrics/" + fabric + "/sync", Fabric: fabric,
			Status: 202, RequestID: "req-" + strconv.Itoa(i)}
		if i == total-1 {
			e.Status, e.Code = 403, fgderr.Forbidden
		}
		if err := s.Record(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		fabric      string
		limit, want int
		first       int // the index of the newest entry expected
	}{
		{"", 5, 5, total - 1},
		{"", 1000, 1000, total - 1},
		{"dc1", 100, 100, total - 10},
		{"dc1", 1000, total / 10, total - 10},
		{"dc3", 10, 0, 0},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s/%d", tc.fabric, tc.limit), func(t *testing.T) {
			got, err := s.Entries(ctx, tc.fabric, tc.limit)
			if err != nil || len(got) != tc.want {
				t.Fatalf("%d entries, %v; want %d", len(got), err, tc.want)
			}
			for i, e := range got {
				if tc.fabric != "" && e.Fabric != tc.fabric {
					t.Fatalf("entry %d is of %s", i, e.Fabric)
				}
				if i > 0 && !streamIDBefore(e.ID, got[i-1].ID) {
					t.Fatalf("entry %d (%s) is not older than %s", i, e.ID, got[i-1].ID)
				}
			}
			if tc.want > 0 && got[0].Token != "tok-"+strconv.Itoa(tc.first) {
				t.Fatalf("newest is %+v, want tok-%d", got[0], tc.first)
			}
		})
	}
	newest, _ := s.Entries(ctx, "", 1)
	e := newest[0]
	if e.Method != "POST" || e.Path != "/api/v1/fabrics/dc2/sync" || e.Status != 403 || e.Code != fgderr.Forbidden ||
		e.RequestID != "req-1199" || time.Since(e.Time) > time.Hour || e.Time.IsZero() {
		t.Fatalf("entry %+v", e)
	}
}

// TestAuditTrimmedByAge: an entry older than the maximum age is dropped
// by the next append.
func TestAuditTrimmedByAge(t *testing.T) {
	s, rdb := newStore(t, Options{})
	ctx := context.Background()
	old := time.Now().Add(-DefaultAuditMaxAge - time.Hour)
	// An entry written 90 days and an hour ago, as the stream would hold it.
	if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: s.auditKey(), ID: strconv.FormatInt(old.UnixMilli(), 10) + "-0",
		Values: map[string]any{"token": "ancient", "time": old.Format(time.RFC3339Nano)}}).Err(); err != nil {
		t.Fatal(err)
	}
	recent := time.Now().Add(-DefaultAuditMaxAge + time.Hour)
	if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: s.auditKey(), ID: strconv.FormatInt(recent.UnixMilli(), 10) + "-0",
		Values: map[string]any{"token": "old-but-kept", "time": recent.Format(time.RFC3339Nano)}}).Err(); err != nil {
		t.Fatal(err)
	}
	if err := s.Record(ctx, AuditEntry{Token: "now", Method: "DELETE", Path: "/x", Status: 200}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Entries(ctx, "", 10)
	if err != nil || len(got) != 2 || got[0].Token != "now" || got[1].Token != "old-but-kept" {
		t.Fatalf("entries %+v %v", got, err)
	}
}

// TestAuditTrimmedByLength: the stream stays near its maximum length.
func TestAuditTrimmedByLength(t *testing.T) {
	const maxLen = 200
	s, rdb := newStore(t, Options{AuditMaxLen: maxLen})
	ctx := context.Background()
	for i := 0; i < 5*maxLen; i++ {
		if err := s.Record(ctx, AuditEntry{Token: "t", Method: "POST", Path: "/x", Status: 201}); err != nil {
			t.Fatal(err)
		}
	}
	// Trimming with ~ drops whole stream nodes (100 entries by default).
	if n := rdb.XLen(ctx, s.auditKey()).Val(); n < maxLen || n > maxLen+100 {
		t.Fatalf("%d entries after %d appends, want about %d", n, 5*maxLen, maxLen)
	}
}

// streamIDBefore reports whether stream id a is older than b.
func streamIDBefore(a, b string) bool {
	parse := func(id string) (int64, int64) {
		ms, seq, _ := strings.Cut(id, "-")
		m, _ := strconv.ParseInt(ms, 10, 64)
		n, _ := strconv.ParseInt(seq, 10, 64)
		return m, n
	}
	am, as := parse(a)
	bm, bs := parse(b)
	return am < bm || am == bm && as < bs
}
