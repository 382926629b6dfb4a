package jobs

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/githedgehog/fgd-sync/fabrics"
	"github.com/githedgehog/fgd-sync/internal/testredis"
	"github.com/githedgehog/fgd-sync/redisconn"
)

type fabricList []fabrics.Fabric

func (l fabricList) List(context.Context) ([]fabrics.Fabric, error) { return l, nil }

func TestScheduleFollowsIntervals(t *testing.T) {
	list := fabricList{
		{Name: "dc1", SyncInterval: fabrics.NewDuration(2 * time.Second)},
		{Name: "off", SyncInterval: fabrics.NewDuration(0)},
	}
	configs, err := (&Schedule{Fabrics: list}).GetConfigs()
	if err != nil {
		t.Fatal(err)
	}
	if len(configs) != 2 || configs[0].Task.Type() != TypeHealth || configs[0].Cronspec != "@every 1m0s" {
		t.Fatalf("configs %+v", configs)
	}
	p, err := ParseSyncPayload(configs[1].Task.Payload())
	if err != nil || p.Fabric != "dc1" || p.Trigger != TriggerScheduled || p.SyncID != "" || configs[1].Cronspec != "@every 2s" {
		t.Fatalf("scheduled sync %+v %v %s", p, err, configs[1].Cronspec)
	}
}

type redisPing struct{ f func(context.Context) error }

func (p redisPing) Ping(ctx context.Context) error { return p.f(ctx) }

func TestHealthCheckExportsLatencyAndBacklog(t *testing.T) {
	rs := testredis.New(t)
	rdb, err := redisconn.Open(rs.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	queue := testredis.Unique("health")
	client := asynq.NewClientFromRedisClient(rdb)
	for i := 0; i < 3; i++ {
		if _, err := client.Enqueue(asynq.NewTask("x", nil), asynq.Queue(queue)); err != nil {
			t.Fatal(err)
		}
	}
	insp := asynq.NewInspectorFromRedisClient(rdb)
	defer func() { _ = insp.DeleteQueue(queue, true) }()
	reg := prometheus.NewRegistry()
	h := NewHealthHandler(discardLogger(), redisPing{func(ctx context.Context) error { return rdb.Ping(ctx).Err() }}, insp, queue, reg)
	if err := h.HandleHealthTask(context.Background(), asynq.NewTask(TypeHealth, nil)); err != nil {
		t.Fatal(err)
	}
	if v := testutil.ToFloat64(h.backlog.WithLabelValues("pending")); v != 3 {
		t.Fatalf("pending backlog %v, want 3", v)
	}
	if v := testutil.ToFloat64(h.latency); v <= 0 {
		t.Fatalf("latency %v", v)
	}
	down := NewHealthHandler(discardLogger(), redisPing{func(context.Context) error { return errors.New("down") }}, insp, queue, nil)
	if err := down.HandleHealthTask(context.Background(), asynq.NewTask(TypeHealth, nil)); err == nil {
		t.Fatal("a dead Redis must fail the health check")
	}
}
