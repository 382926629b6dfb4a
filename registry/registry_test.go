package registry

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/githedgehog/fgd-sync/fabrics"
	"github.com/githedgehog/fgd-sync/internal/testredis"
	"github.com/githedgehog/fgd-sync/redisconn"
)

func newRegistry(tb testing.TB) *Registry {
	tb.Helper()
	rs := testredis.New(tb)
	rdb, err := redisconn.Open(rs.URL)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = rdb.Close() })
	return New(rdb, testredis.Unique("reg")+":")
}

func fab(name, repo, path string) fabrics.Fabric {
	return fabrics.Fabric{Name: name, Repository: repo, Path: path}
}

func TestCreateGetListDelete(t *testing.T) {
	r := newRegistry(t)
	ctx := context.Background()
	if _, err := r.Create(ctx, fab("dc1", "Acme/Config", "dc1")); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Create(ctx, fab("dc1", "acme/other", ".")); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate name: %v", err)
	}
	var fe *fabrics.FieldError
	if _, err := r.Create(ctx, fab("dc2", "acme/config", "dc1/sub")); !errors.As(err, &fe) || fe.Field != "path" {
		t.Fatalf("overlap: %v", err)
	}
	if _, err := r.Create(ctx, fab("dc2", "acme/config", "dc2")); err != nil {
		t.Fatal(err)
	}
	got, err := r.ByRepository(ctx, "ACME/CONFIG")
	if err != nil || len(got) != 2 || got[0].Name != "dc1" || got[1].Name != "dc2" {
		t.Fatalf("by repository: %+v %v", got, err)
	}
	f, err := r.Fabric(ctx, "dc1")
	if err != nil || f.Branch != "main" || f.SyncInterval.Duration == 0 {
		t.Fatalf("defaults not applied: %+v %v", f, err)
	}
	// Moving a fabric to another repository updates the index.
	f.Repository = "acme/moved"
	if _, err := r.Put(ctx, f); err != nil {
		t.Fatal(err)
	}
	if got, _ := r.ByRepository(ctx, "acme/config"); len(got) != 1 || got[0].Name != "dc2" {
		t.Fatalf("old index entry left: %+v", got)
	}
	if _, err := r.Delete(ctx, "dc2"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Fabric(ctx, "dc2"); !errors.Is(err, fabrics.ErrUnknownFabric) {
		t.Fatalf("deleted fabric: %v", err)
	}
	if list, _ := r.List(ctx); len(list) != 1 || list[0].Name != "dc1" {
		t.Fatalf("list: %+v", list)
	}
}

func TestUpsertKeepsAPIFabrics(t *testing.T) {
	r := newRegistry(t)
	ctx := context.Background()
	if _, err := r.Create(ctx, fab("from-api", "acme/a", ".")); err != nil {
		t.Fatal(err)
	}
	file := []fabrics.Fabric{fab("from-file", "acme/b", "."), fab("from-api2", "acme/c", ".")}
	if _, err := r.UpsertAll(ctx, file); err != nil {
		t.Fatal(err)
	}
	file[0].Branch = "prod"
	created, err := r.UpsertAll(ctx, file[:1])
	if err != nil || len(created) != 0 {
		t.Fatalf("second upsert: %v %v", created, err)
	}
	list, _ := r.List(ctx)
	if len(list) != 3 {
		t.Fatalf("upsert deleted or lost fabrics: %+v", list)
	}
	if f, _ := r.Fabric(ctx, "from-file"); f.Branch != "prod" {
		t.Fatalf("upsert did not update: %+v", f)
	}
}

// BenchmarkMatch shows that matching a push is one index lookup: its cost
// is flat from 10 to 1,000 registered fabrics.
func BenchmarkMatch(b *testing.B) {
	for _, n := range []int{10, 1000} {
		b.Run(fmt.Sprintf("fabrics=%d", n), func(b *testing.B) {
			r := newRegistry(b)
			ctx := context.Background()
			for i := 0; i < n; i++ {
				if _, err := r.Create(ctx, fab(fmt.Sprintf("f%04d", i), fmt.Sprintf("acme/r%04d", i), ".")); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if got, err := r.ByRepository(ctx, "acme/r0007"); err != nil || len(got) != 1 {
					b.Fatal(got, err)
				}
			}
		})
	}
}
