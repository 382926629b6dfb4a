package jobs

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/githedgehog/fgd-sync/fabrics"
	"github.com/githedgehog/fgd-sync/store"
)

// StateCoalesced is the fgd_syncs_total state of a trigger that joined the
// follow-up of a sync already running (its record says succeeded, with
// coalesced_into): it did no work of its own.
const StateCoalesced = "coalesced"

// seedRecords is how many of a fabric's newest records SeedLastSuccess
// reads: a bounded cost at start-up, per fabric.
const seedRecords = 100

// SyncMetrics are the per-fabric sync metrics operators alert on. A nil
// *SyncMetrics records nothing, so handlers built without it still work.
type SyncMetrics struct {
	syncs       *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	lastSuccess *prometheus.GaugeVec
	interval    *prometheus.GaugeVec

	// newest keeps each fabric's last-success time so that a late writer
	// (the start-up seed, an attempt finishing after a newer one) never
	// moves the gauge backwards.
	mu     sync.Mutex
	newest map[string]time.Time
}

// NewSyncMetrics creates the sync metrics and registers them on reg.
func NewSyncMetrics(reg prometheus.Registerer) (*SyncMetrics, error) {
	m := &SyncMetrics{
		syncs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fgd_syncs_total",
			Help: "Sync task outcomes by fabric, trigger and state (succeeded, partial, failed, retrying, coalesced).",
		}, []string{"fabric", "trigger", "state"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "fgd_sync_duration_seconds",
			Help: "Time spent in each stage of a sync (fetch, init, ingest, commit, push, report).",
			// Stages range from a few milliseconds (ingesting a small
			// fabric) to minutes (a first clone of a big repository).
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600},
		}, []string{"fabric", "stage"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "fgd_last_successful_sync_timestamp_seconds",
			Help: "Unix time the newest succeeded or partial sync of the fabric finished, as this process knows it.",
		}, []string{"fabric"}),
		interval: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "fgd_fabric_sync_interval_seconds",
			Help: "The fabric's periodic sync interval; 0 when it has none.",
		}, []string{"fabric"}),
		newest: map[string]time.Time{},
	}
	for _, c := range []prometheus.Collector{m.syncs, m.duration, m.lastSuccess, m.interval} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register the sync metrics: %w", err)
		}
	}
	return m, nil
}

// finished counts a sync task's outcome and, when it brought the fabric's
// managed/ tree up to date, moves the last-success time.
func (m *SyncMetrics) finished(rec *store.Record) {
	if m == nil {
		return
	}
	m.syncs.WithLabelValues(rec.Fabric, rec.Trigger, rec.State).Inc()
	if successful(rec) {
		m.succeededAt(rec.Fabric, *rec.FinishedAt)
	}
}

// coalesced counts a trigger that joined a follow-up.
func (m *SyncMetrics) coalesced(rec *store.Record) {
	if m == nil {
		return
	}
	m.syncs.WithLabelValues(rec.Fabric, rec.Trigger, StateCoalesced).Inc()
}

// stages observes the stage durations this task attempt recorded.
func (m *SyncMetrics) stages(rec *store.Record) {
	if m == nil {
		return
	}
	for _, s := range rec.Stages {
		m.duration.WithLabelValues(rec.Fabric, s.Name).Observe((time.Duration(s.DurationMS) * time.Millisecond).Seconds())
	}
}

// successful tells whether a record is a sync that wrote the fabric's
// managed/ tree for its head: succeeded, or partial (the valid files were
// written; the rejected ones are reported on the commit). A validate-only
// sync writes nothing, and a coalesced trigger did no work.
func successful(rec *store.Record) bool {
	return (rec.State == store.StateSucceeded || rec.State == store.StatePartial) &&
		!rec.ValidateOnly && rec.CoalescedInto == "" && rec.FinishedAt != nil
}

func (m *SyncMetrics) succeededAt(fabric string, at time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !at.After(m.newest[fabric]) {
		return
	}
	m.newest[fabric] = at
	m.lastSuccess.WithLabelValues(fabric).Set(float64(at.UnixNano()) / 1e9)
}

// SetFabrics makes fgd_fabric_sync_interval_seconds the registry's: one
// series per registered fabric, 0 for those without a periodic sync.
// Fabrics no longer registered lose their interval and last-success series,
// so a deleted fabric neither alerts nor lingers on the dashboard.
func (m *SyncMetrics) SetFabrics(list []fabrics.Fabric) {
	if m == nil {
		return
	}
	registered := make(map[string]bool, len(list))
	m.interval.Reset()
	for _, f := range list {
		registered[f.Name] = true
		m.interval.WithLabelValues(f.Name).Set(max(f.SyncInterval.Duration, 0).Seconds())
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for name := range m.newest {
		if !registered[name] {
			delete(m.newest, name)
			m.lastSuccess.DeleteLabelValues(name)
		}
	}
}

// RecordLister lists a fabric's newest sync records, newest first (a
// *store.Store).
type RecordLister interface {
	ListRecords(ctx context.Context, fabric string, limit int) ([]*store.Record, error)
}

// SeedLastSuccess sets, at start-up, each registered fabric's last-success
// time and interval from the stored records, so that a restarted worker
// does not hide a fabric that stopped syncing before the restart. A fabric
// none of whose recent records succeeded gets the creation time of the
// oldest of them: its last success was earlier still, so an alert sees a
// fabric at least that stale. A fabric with no records gets no series
// until its first successful sync.
func (m *SyncMetrics) SeedLastSuccess(ctx context.Context, fabs FabricLister, records RecordLister) error {
	if m == nil {
		return nil
	}
	list, err := fabs.List(ctx)
	if err != nil {
		return fmt.Errorf("list fabrics to seed the sync metrics: %w", err)
	}
	m.SetFabrics(list)
	for _, f := range list {
		recs, err := records.ListRecords(ctx, f.Name, seedRecords)
		if err != nil {
			return fmt.Errorf("read the sync records of %s to seed the sync metrics: %w", f.Name, err)
		}
		if at, ok := lastSuccessOf(recs); ok {
			m.succeededAt(f.Name, at)
		}
	}
	return nil
}

// lastSuccessOf is the newest successful finish among recs, else the
// oldest record's creation (a bound: the last success came before it).
func lastSuccessOf(recs []*store.Record) (time.Time, bool) {
	var newest, oldest time.Time
	for _, r := range recs {
		if successful(r) && r.FinishedAt.After(newest) {
			newest = *r.FinishedAt
		}
		if oldest.IsZero() || r.CreatedAt.Before(oldest) {
			oldest = r.CreatedAt
		}
	}
	if !newest.IsZero() {
		return newest, true
	}
	return oldest, !oldest.IsZero()
}
