package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrFailoverUnderWay means another data node claims to be master, or the
// one written to no longer is: WAIT's count may come from a replica that a
// failover is about to resynchronise from a promoted one, dropping the write.
var ErrFailoverUnderWay = errors.New("a Redis failover is under way")

// fenceTimeout bounds one probe of one node, and the Sentinel queries.
const fenceTimeout = 250 * time.Millisecond

// fenceTopologyTTL is how long the Sentinel's list of nodes is reused. A
// replica is in the list long before it can be promoted, so a list this old
// still names every node that may claim to be master.
const fenceTopologyTTL = time.Second

// masterFence closes the window that WAIT leaves open under Sentinel. When
// Sentinel promotes replica A, A stops replicating at once, but the old master
// keeps taking writes until its clients learn of the switch, and replica B
// still acknowledges them to WAIT. B is then resynchronised from A and those
// writes are gone. So after a WAIT, the fence asks every data node for its
// replication state, in a round that starts after the WAIT returned, and
// confirms that the node written to is a master and that no other master
// was promoted from its replicas (whose master_replid2 is the written node's
// replication id): a replica promoted before the write reached it is such a
// master in that round; one promoted after holds the write. Other masters
// are older lineages, old masters that Sentinel has not yet turned into
// replicas: they can drop nothing the written node holds.
//
// Rounds are shared: every caller waiting when a round starts gets its
// answer, so the cost is one INFO per node per round, not per delivery.
type masterFence struct {
	master    string
	sentinels []*redis.SentinelClient
	nodeOpts  redis.Options // for the data nodes; Addr set per node

	mu       sync.Mutex
	next     *fenceRound // the round that has not started yet
	running  bool        // a goroutine is running rounds
	rounds   sync.WaitGroup
	nodes    []string // what the Sentinels name, less what most hold down
	nodesAt  time.Time
	clients  map[string]*redis.Client
	closed   bool
	closeCtx context.Context
	cancel   context.CancelFunc
}

// fenceRound is one probe of every node; done closes once masters is set.
type fenceRound struct {
	done    chan struct{}
	masters map[string]lineage // by address
	err     error
}

// lineage is a master's replication ids: its own, and the one of the master
// it was promoted from.
type lineage struct{ replID, replID2 string }

func newMasterFence(o *redis.UniversalOptions) *masterFence {
	f := &masterFence{master: o.MasterName, clients: map[string]*redis.Client{}}
	for _, addr := range o.Addrs {
		f.sentinels = append(f.sentinels, redis.NewSentinelClient(&redis.Options{
			Addr: addr, Username: o.SentinelUsername, Password: o.SentinelPassword, TLSConfig: o.TLSConfig,
			DialTimeout: fenceTimeout, ReadTimeout: fenceTimeout, WriteTimeout: fenceTimeout, MaxRetries: -1,
		}))
	}
	f.nodeOpts = redis.Options{
		Username: o.Username, Password: o.Password, TLSConfig: o.TLSConfig,
		DialTimeout: fenceTimeout, ReadTimeout: fenceTimeout, WriteTimeout: fenceTimeout,
		// One retry, on a fresh connection: Sentinel kills the client
		// connections of a node it promotes.
		MaxRetries: 1, PoolSize: 1, MaxIdleConns: 1,
		// A refused dial is an answer (nothing runs there): no dial retries.
		DialerRetries: 1, DialerRetryTimeout: 10 * time.Millisecond,
	}
	f.closeCtx, f.cancel = context.WithCancel(context.Background())
	return f
}

// Confirm returns nil when a probe round that started after the call found
// addr to be the only master.
func (f *masterFence) Confirm(ctx context.Context, addr string) error {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return errors.New("the failover fence is closed")
	}
	if f.next == nil {
		f.next = &fenceRound{done: make(chan struct{})}
	}
	r := f.next
	if !f.running {
		f.running = true
		f.rounds.Add(1)
		go f.runRounds()
	}
	f.mu.Unlock()

	select {
	case <-r.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	if r.err != nil {
		return r.err
	}
	return forkedFrom(addr, r.masters)
}

// forkedFrom checks that written is a master and that no other master was
// promoted out of its lineage: a promoted replica's master_replid2 is the
// replication id of the master it followed. Other masters are older
// lineages (an old master Sentinel has not yet turned into a replica):
// they cannot drop what the written node holds.
func forkedFrom(written string, masters map[string]lineage) error {
	w, ok := masters[written]
	if !ok {
		return fmt.Errorf("%w: %s, written to, is not a master now", ErrFailoverUnderWay, written)
	}
	for addr, m := range masters {
		if addr != written && (m.replID2 == w.replID || m.replID == w.replID) {
			return fmt.Errorf("%w: %s was promoted from %s's replicas", ErrFailoverUnderWay, addr, written)
		}
	}
	return nil
}

// runRounds runs rounds while callers wait for one, then ends; the next
// Confirm starts it again.
func (f *masterFence) runRounds() {
	defer f.rounds.Done()
	for {
		f.mu.Lock()
		r := f.next
		f.next = nil
		if r == nil {
			f.running = false
			f.mu.Unlock()
			return
		}
		f.mu.Unlock()
		r.masters, r.err = f.probe(f.closeCtx)
		close(r.done)
	}
}

// probe asks every node for its replication state, all at once, and
// returns the masters.
func (f *masterFence) probe(ctx context.Context) (map[string]lineage, error) {
	nodes, err := f.topology(ctx)
	if err != nil {
		return nil, err
	}
	found := make([]*lineage, len(nodes))
	errs := make([]error, len(nodes))
	var wg sync.WaitGroup
	for i, addr := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			found[i], errs[i] = f.masterLineage(ctx, addr)
		}()
	}
	wg.Wait()
	// A node that does not answer may be the promoted one: Sentinel kills
	// the promoted replica's client connections as it promotes it, and in a
	// partition the new master is the one out of sight. Until the Sentinels
	// hold it down, the round proves nothing. (A refused connection is an
	// answer: nothing runs there.)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFailoverUnderWay, err)
	}
	masters := map[string]lineage{}
	for i, m := range found {
		if m != nil {
			masters[nodes[i]] = *m
		}
	}
	return masters, nil
}

// masterLineage returns the node's replication ids when it is a master, nil
// when it is a replica.
func (f *masterFence) masterLineage(ctx context.Context, addr string) (*lineage, error) {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return nil, errors.New("the failover fence is closed")
	}
	c := f.clients[addr]
	if c == nil {
		o := f.nodeOpts
		o.Addr = addr
		c = redis.NewClient(&o)
		f.clients[addr] = c
	}
	f.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, 2*fenceTimeout) // a try and its retry
	defer cancel()
	info, err := c.Info(ctx, "replication").Result()
	if errors.Is(err, syscall.ECONNREFUSED) && refused(ctx, addr) {
		// Nothing listens there: the node is not running, so it takes no
		// writes and cannot be promoted while it is down. (Asked again on a
		// fresh dial: the pool keeps a refused dial's error for a while.)
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s did not answer INFO: %w", addr, err)
	}
	fields := map[string]string{}
	for _, line := range strings.Split(info, "\r\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			fields[k] = v
		}
	}
	if fields["role"] != "master" {
		return nil, nil
	}
	return &lineage{replID: fields["master_replid"], replID2: fields["master_replid2"]}, nil
}

// topology returns every data node that any Sentinel names (the master it
// names and its replicas), except a replica that a majority of the
// Sentinels hold down, reused for fenceTopologyTTL. The Sentinels are asked
// at once and their answers joined: one Sentinel's view may miss the
// promoted replica (in a partition it may hold it down; during the
// promotion its link to it drops). When none answers, the last list is
// used, and asked again only after fenceTopologyTTL.
func (f *masterFence) topology(ctx context.Context) ([]string, error) {
	f.mu.Lock()
	nodes, at := f.nodes, f.nodesAt
	f.mu.Unlock()
	if nodes != nil && time.Since(at) < fenceTopologyTTL {
		return nodes, nil
	}
	views := make([]sentinelView, len(f.sentinels))
	var wg sync.WaitGroup
	for i, sc := range f.sentinels {
		wg.Add(1)
		go func() {
			defer wg.Done()
			views[i] = f.askSentinel(ctx, sc)
		}()
	}
	wg.Wait()
	fresh, err := joinViews(views, len(f.sentinels)/2+1)
	f.mu.Lock()
	defer f.mu.Unlock()
	if err != nil {
		if nodes == nil {
			return nil, err
		}
		f.nodesAt = time.Now() // back off: the nodes are still these
		return nodes, nil
	}
	f.nodes, f.nodesAt = fresh, time.Now()
	f.pruneClients(fresh)
	return fresh, nil
}

// sentinelView is one Sentinel's answer: the master, its replicas, and
// those of them it holds down.
type sentinelView struct {
	nodes []string // the master first
	down  map[string]bool
	err   error
}

// joinViews is the union of the Sentinels' nodes, without the replicas
// that at least majority of them hold down.
func joinViews(views []sentinelView, majority int) ([]string, error) {
	var nodes []string
	downVotes := map[string]int{}
	var errs []error
	for _, v := range views {
		if v.err != nil {
			errs = append(errs, v.err)
			continue
		}
		for _, addr := range v.nodes {
			if !slices.Contains(nodes, addr) {
				nodes = append(nodes, addr)
			}
			if v.down[addr] {
				downVotes[addr]++
			}
		}
	}
	if nodes == nil {
		return nil, fmt.Errorf("no Sentinel named the data nodes: %w", errors.Join(errs...))
	}
	return slices.DeleteFunc(nodes, func(addr string) bool { return downVotes[addr] >= majority }), nil
}

func (f *masterFence) askSentinel(ctx context.Context, sc *redis.SentinelClient) sentinelView {
	ctx, cancel := context.WithTimeout(ctx, 2*fenceTimeout)
	defer cancel()
	m, err := sc.GetMasterAddrByName(ctx, f.master).Result()
	if err != nil {
		return sentinelView{err: fmt.Errorf("SENTINEL GET-MASTER-ADDR-BY-NAME: %w", err)}
	}
	if len(m) != 2 {
		return sentinelView{err: fmt.Errorf("SENTINEL GET-MASTER-ADDR-BY-NAME answered %d fields", len(m))}
	}
	replicas, err := sc.Replicas(ctx, f.master).Result()
	if err != nil {
		return sentinelView{err: fmt.Errorf("SENTINEL REPLICAS: %w", err)}
	}
	v := sentinelView{nodes: []string{net.JoinHostPort(m[0], m[1])}, down: map[string]bool{}}
	for _, r := range replicas {
		addr := net.JoinHostPort(r["ip"], r["port"])
		v.nodes = append(v.nodes, addr)
		v.down[addr] = heldDown(r["flags"])
	}
	return v
}

// heldDown: the Sentinel holds the replica to be down. ("disconnected" is
// only its own link, which a promotion drops for a moment.)
func heldDown(flags string) bool {
	for _, f := range strings.Split(flags, ",") {
		if f == "s_down" || f == "o_down" {
			return true
		}
	}
	return false
}

// pruneClients closes the connections to nodes no longer listed; f.mu is
// held.
func (f *masterFence) pruneClients(nodes []string) {
	for addr, c := range f.clients {
		if !slices.Contains(nodes, addr) {
			_ = c.Close()
			delete(f.clients, addr)
		}
	}
}

// refused dials addr afresh and tells whether the connection is refused.
func refused(ctx context.Context, addr string) bool {
	conn, err := (&net.Dialer{Timeout: fenceTimeout}).DialContext(ctx, "tcp", addr)
	if err == nil {
		_ = conn.Close()
	}
	return errors.Is(err, syscall.ECONNREFUSED)
}

// Close stops the fence, waits for a round under way (its probes end at
// once: their context is cancelled) and closes its connections.
func (f *masterFence) Close() {
	f.mu.Lock()
	f.closed = true
	f.cancel()
	f.mu.Unlock()
	f.rounds.Wait()
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, sc := range f.sentinels {
		_ = sc.Close()
	}
	for _, c := range f.clients {
		_ = c.Close()
	}
}
