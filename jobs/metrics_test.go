package jobs

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/githedgehog/fgd-sync/fabrics"
	"github.com/githedgehog/fgd-sync/store"
)

// series gathers reg into "name{label=value,...}" → value: a counter's or
// gauge's value, a histogram's sample count.
func series(t *testing.T, reg prometheus.Gatherer) map[string]float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			key := f.GetName() + "{" + strings.Join(labels, ",") + "}"
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				out[key] = m.GetCounter().GetValue()
			case dto.MetricType_GAUGE:
				out[key] = m.GetGauge().GetValue()
			case dto.MetricType_HISTOGRAM:
				out[key] = float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return out
}

// named keeps the series of one metric.
func named(all map[string]float64, metric string) map[string]float64 {
	out := map[string]float64{}
	for k, v := range all {
		if strings.HasPrefix(k, metric+"{") {
			out[k] = v
		}
	}
	return out
}

func keys(m map[string]float64) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestSyncMetricsFollowOutcomes runs real sync tasks (real store in Redis,
// git and GitHub faked) and reads what each leaves in the metrics: one
// outcome in fgd_syncs_total, one duration sample per stage the record
// lists, and a last-success time only for a sync that wrote the fabric.
func TestSyncMetricsFollowOutcomes(t *testing.T) {
	st := newTestStore(t)
	good := map[string]string{"fab/raw/vpc-1.yaml": vpcYAML("vpc-1", 1001)}
	bad := strings.Replace(vpcYAML("vpc-bad", 1003), "vlan: 1003", "vlan: lots", 1)
	allStages := []string{"fetch", "ingest", "commit", "push", "report"}
	tests := []struct {
		name        string
		files       map[string]string
		payload     SyncPayload
		setup       func(t *testing.T, e *syncEnv)
		wantState   string
		wantStages  []string
		wantSuccess bool
	}{
		{name: "webhook sync succeeds", files: good, payload: SyncPayload{Trigger: TriggerWebhook},
			wantState: store.StateSucceeded, wantStages: allStages, wantSuccess: true},
		{name: "scheduled sync with a rejected file is partial", payload: SyncPayload{Trigger: TriggerScheduled},
			files:     map[string]string{"fab/raw/vpc-1.yaml": vpcYAML("vpc-1", 1001), "fab/raw/bad.yaml": bad},
			wantState: store.StatePartial, wantStages: allStages, wantSuccess: true},
		{name: "only rejected files fail", payload: SyncPayload{Trigger: TriggerManual},
			files:     map[string]string{"fab/raw/bad.yaml": bad},
			wantState: store.StateFailed, wantStages: []string{"fetch", "ingest", "commit", "report"}},
		{name: "validate-only writes nothing", files: good, payload: SyncPayload{Trigger: TriggerManual, Options: SyncOptions{ValidateOnly: true}},
			wantState: store.StateSucceeded, wantStages: []string{"fetch", "ingest"}},
		{name: "a branch that keeps moving retries", files: good, payload: SyncPayload{Trigger: TriggerWebhook},
			setup: func(t *testing.T, e *syncEnv) {
				e.h.Attempts = 1
				e.remote.beforePush = func(r *fakeRemote) { r.Push(map[string]string{"README.md": "moved"}, "a person's commit\n") }
			},
			wantState: store.StateRetrying, wantStages: []string{"fetch", "ingest", "commit", "push"}},
		{name: "a trigger during a running sync is coalesced", files: good, payload: SyncPayload{Trigger: TriggerWebhook},
			setup: func(t *testing.T, e *syncEnv) {
				if got, _, err := e.store.TryLock(t.Context(), e.fabric.Name, "running/1", DefaultLockTTL); err != nil || !got {
					t.Fatalf("lock: %v %v", got, err)
				}
			},
			wantState: StateCoalesced},
		{name: "an unregistered fabric fails", files: good, payload: SyncPayload{Trigger: TriggerManual, Fabric: "deleted"},
			wantState: store.StateFailed},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newSyncEnv(t, st, fabrics.Fabric{Name: fmt.Sprintf("met%d", i)}, tc.files)
			reg := prometheus.NewRegistry()
			m, err := NewSyncMetrics(reg)
			if err != nil {
				t.Fatal(err)
			}
			e.h.Metrics = m
			if tc.setup != nil {
				tc.setup(t, e)
			}
			p := tc.payload
			p.SyncID = fmt.Sprintf("s-met-%d", i)
			fabric := e.fabric.Name
			if p.Fabric != "" {
				fabric = p.Fabric
			}
			before := time.Now()
			_ = e.run(t.Context(), p) // the outcome is in the record and the metrics
			after := time.Now()

			rec := e.record(t, p.SyncID)
			all := series(t, reg)
			wantCount := fmt.Sprintf("fgd_syncs_total{fabric=%s,state=%s,trigger=%s}", fabric, tc.wantState, p.Trigger)
			if got := named(all, "fgd_syncs_total"); len(got) != 1 || got[wantCount] != 1 {
				t.Fatalf("fgd_syncs_total %v, want only %s = 1 (record state %s)", got, wantCount, rec.State)
			}
			var wantDurations []string
			for _, s := range tc.wantStages {
				wantDurations = append(wantDurations, fmt.Sprintf("fgd_sync_duration_seconds{fabric=%s,stage=%s}", fabric, s))
			}
			sort.Strings(wantDurations)
			durations := named(all, "fgd_sync_duration_seconds")
			if got := keys(durations); !slices.Equal(got, wantDurations) {
				t.Fatalf("duration series %v, want %v (record stages %+v)", got, wantDurations, rec.Stages)
			}
			for k, n := range durations {
				if n != 1 {
					t.Errorf("%s has %v samples, want 1", k, n)
				}
			}
			last, ok := all[fmt.Sprintf("fgd_last_successful_sync_timestamp_seconds{fabric=%s}", fabric)]
			if ok != tc.wantSuccess {
				t.Fatalf("last-success series present %v, want %v", ok, tc.wantSuccess)
			}
			if ok {
				at := time.Unix(0, int64(last*1e9))
				if at.Before(before.Add(-time.Millisecond)) || at.After(after.Add(time.Millisecond)) || !at.Round(time.Millisecond).Equal(rec.FinishedAt.Round(time.Millisecond)) {
					t.Fatalf("last success %s, want the record's finish %s (between %s and %s)", at, rec.FinishedAt, before, after)
				}
			}
		})
	}
}

// TestSyncMetricsCountEveryTask: outcomes add up per fabric, trigger and
// state, and the last-success time follows the newest success only.
func TestSyncMetricsCountEveryTask(t *testing.T) {
	st := newTestStore(t)
	e := newSyncEnv(t, st, fabrics.Fabric{Name: "count"}, map[string]string{"fab/raw/vpc-1.yaml": vpcYAML("vpc-1", 1001)})
	reg := prometheus.NewRegistry()
	m, err := NewSyncMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	e.h.Metrics = m
	runs := []SyncPayload{{Trigger: TriggerWebhook}, {Trigger: TriggerWebhook}, {Trigger: TriggerScheduled}, {Trigger: TriggerManual, Options: SyncOptions{ValidateOnly: true}}}
	var lastWrite time.Time
	for i, p := range runs {
		p.SyncID = fmt.Sprintf("s-count-%d", i)
		if err := e.run(t.Context(), p); err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		if rec := e.record(t, p.SyncID); !p.Options.ValidateOnly {
			lastWrite = *rec.FinishedAt
		}
	}
	want := `
# HELP fgd_syncs_total Sync task outcomes by fabric, trigger and state (succeeded, partial, failed, retrying, coalesced).
# TYPE fgd_syncs_total counter
fgd_syncs_total{fabric="count",state="succeeded",trigger="manual"} 1
fgd_syncs_total{fabric="count",state="succeeded",trigger="scheduled"} 1
fgd_syncs_total{fabric="count",state="succeeded",trigger="webhook"} 2
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "fgd_syncs_total"); err != nil {
		t.Fatal(err)
	}
	got := testutil.ToFloat64(m.lastSuccess.WithLabelValues("count"))
	if at := time.Unix(0, int64(got*1e9)); !at.Round(time.Millisecond).Equal(lastWrite.Round(time.Millisecond)) {
		t.Fatalf("last success %s, want the last writing sync's finish %s, not the validate-only one's", at, lastWrite)
	}
}

// TestSetFabrics: the interval gauge mirrors the registry, 0 for a fabric
// without a periodic sync; a fabric that leaves the registry loses its
// interval and last-success series.
func TestSetFabrics(t *testing.T) {
	tests := []struct {
		name string
		list []fabrics.Fabric
		want string
	}{
		{"periodic and off", []fabrics.Fabric{
			{Name: "dc1", SyncInterval: fabrics.NewDuration(5 * time.Minute)},
			{Name: "lab", SyncInterval: fabrics.NewDuration(0)},
		}, `
fgd_fabric_sync_interval_seconds{fabric="dc1"} 300
fgd_fabric_sync_interval_seconds{fabric="lab"} 0
fgd_last_successful_sync_timestamp_seconds{fabric="dc1"} 1.7e+09
fgd_last_successful_sync_timestamp_seconds{fabric="lab"} 1.7e+09
`},
		{"lab deleted, dc2 added", []fabrics.Fabric{
			{Name: "dc1", SyncInterval: fabrics.NewDuration(90 * time.Second)},
			{Name: "dc2", SyncInterval: fabrics.NewDuration(time.Hour)},
		}, `
fgd_fabric_sync_interval_seconds{fabric="dc1"} 90
fgd_fabric_sync_interval_seconds{fabric="dc2"} 3600
fgd_last_successful_sync_timestamp_seconds{fabric="dc1"} 1.7e+09
`},
		{"none left", nil, ``},
	}
	reg := prometheus.NewRegistry()
	m, err := NewSyncMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"dc1", "lab"} {
		m.succeededAt(f, time.Unix(1.7e9, 0))
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m.SetFabrics(tc.list)
			want := "# HELP fgd_fabric_sync_interval_seconds The fabric's periodic sync interval; 0 when it has none.\n# TYPE fgd_fabric_sync_interval_seconds gauge\n" +
				"# HELP fgd_last_successful_sync_timestamp_seconds Unix time the newest succeeded or partial sync of the fabric finished, as this process knows it.\n# TYPE fgd_last_successful_sync_timestamp_seconds gauge\n" + tc.want
			if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "fgd_fabric_sync_interval_seconds", "fgd_last_successful_sync_timestamp_seconds"); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestScheduleSetsIntervals: the schedule's refresh keeps the interval
// gauge to the registry.
func TestScheduleSetsIntervals(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewSyncMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	s := &Schedule{Fabrics: fabricList{{Name: "dc1", SyncInterval: fabrics.NewDuration(2 * time.Minute)}}, Metrics: m}
	if _, err := s.GetConfigs(); err != nil {
		t.Fatal(err)
	}
	if v := testutil.ToFloat64(m.interval.WithLabelValues("dc1")); v != 120 {
		t.Fatalf("interval of dc1 = %v, want 120", v)
	}
}

// TestSeedLastSuccess: at start-up the last-success time comes from the
// stored records, so a restart does not hide a stale fabric.
func TestSeedLastSuccess(t *testing.T) {
	st := newTestStore(t)
	ctx := t.Context()
	base := time.Now().UTC().Add(-2 * time.Hour).Truncate(time.Millisecond)
	at := func(min int) *time.Time { v := base.Add(time.Duration(min) * time.Minute); return &v }
	put := func(id, fabric, state string, created int, finished *time.Time, mutate func(*store.Record)) {
		r := &store.Record{ID: id, Fabric: fabric, Trigger: string(TriggerWebhook), State: state, CreatedAt: *at(created), FinishedAt: finished}
		if mutate != nil {
			mutate(r)
		}
		if err := st.PutRecord(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	// ok: the newest success counts, not a later failure, validate-only
	// sync or coalesced trigger.
	put("ok-1", "ok", store.StateSucceeded, 0, at(1), nil)
	put("ok-2", "ok", store.StatePartial, 10, at(11), nil)
	put("ok-3", "ok", store.StateFailed, 20, at(21), nil)
	put("ok-4", "ok", store.StateSucceeded, 30, at(31), func(r *store.Record) { r.ValidateOnly = true })
	put("ok-5", "ok", store.StateSucceeded, 40, at(40), func(r *store.Record) { r.CoalescedInto = "ok-6" })
	put("ok-6", "ok", store.StateRunning, 41, nil, nil)
	// broken: nothing succeeded; the oldest record bounds the last success.
	put("broken-1", "broken", store.StateFailed, 5, at(6), nil)
	put("broken-2", "broken", store.StateRetrying, 50, nil, nil)
	// fresh: a success newer than the stored one was seen already.
	put("fresh-1", "fresh", store.StateSucceeded, 0, at(1), nil)
	// new: no records at all.

	reg := prometheus.NewRegistry()
	m, err := NewSyncMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	m.succeededAt("fresh", *at(100))
	list := fabricList{
		{Name: "ok", SyncInterval: fabrics.NewDuration(time.Minute)},
		{Name: "broken", SyncInterval: fabrics.NewDuration(time.Minute)},
		{Name: "fresh", SyncInterval: fabrics.NewDuration(0)},
		{Name: "new", SyncInterval: fabrics.NewDuration(time.Minute)},
	}
	if err := m.SeedLastSuccess(ctx, list, st); err != nil {
		t.Fatal(err)
	}
	sec := func(t *time.Time) float64 { return float64(t.UnixNano()) / 1e9 }
	want := map[string]float64{
		"fgd_last_successful_sync_timestamp_seconds{fabric=ok}":     sec(at(11)),
		"fgd_last_successful_sync_timestamp_seconds{fabric=broken}": sec(at(5)),
		"fgd_last_successful_sync_timestamp_seconds{fabric=fresh}":  sec(at(100)),
		"fgd_fabric_sync_interval_seconds{fabric=ok}":               60,
		"fgd_fabric_sync_interval_seconds{fabric=broken}":           60,
		"fgd_fabric_sync_interval_seconds{fabric=fresh}":            0,
		"fgd_fabric_sync_interval_seconds{fabric=new}":              60,
	}
	got := series(t, reg)
	if len(got) != len(want) {
		t.Errorf("series %v, want %v", keys(got), keys(want))
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s = %v (present %v), want %v", k, g, ok, v)
		}
	}
}

type failingRecords struct{}

func (failingRecords) ListRecords(context.Context, string, int) ([]*store.Record, error) {
	return nil, fmt.Errorf("redis: connection refused")
}

// TestSeedReportsErrors: a seed that cannot read Redis says so, for the
// caller to retry.
func TestSeedReportsErrors(t *testing.T) {
	m, err := NewSyncMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	err = m.SeedLastSuccess(t.Context(), fabricList{{Name: "dc1"}}, failingRecords{})
	if err == nil || !strings.Contains(err.Error(), "dc1") {
		t.Fatalf("err = %v, want one naming the fabric", err)
	}
}

// TestNilSyncMetrics: a handler without metrics records nothing and does
// not fail.
func TestNilSyncMetrics(t *testing.T) {
	var m *SyncMetrics
	rec := &store.Record{Fabric: "dc1", State: store.StateSucceeded}
	m.finished(rec)
	m.coalesced(rec)
	m.stages(rec)
	m.SetFabrics([]fabrics.Fabric{{Name: "dc1"}})
	if err := m.SeedLastSuccess(t.Context(), fabricList{}, failingRecords{}); err != nil {
		t.Fatal(err)
	}
}

// TestNewSyncMetricsTwiceOnOneRegistry fails the second registration
// instead of panicking: the caller wires one per process.
func TestNewSyncMetricsTwiceOnOneRegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := NewSyncMetrics(reg); err != nil {
		t.Fatal(err)
	}
	if _, err := NewSyncMetrics(reg); err == nil {
		t.Fatal("a second set of sync metrics on one registry must fail")
	}
}
