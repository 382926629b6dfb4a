package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/githedgehog/fgd-sync/config"
	"github.com/githedgehog/fgd-sync/fgderr"
	"github.com/githedgehog/fgd-sync/jobs"
	"github.com/githedgehog/fgd-sync/redisconn"
)

// ErrNotReplicated means an enqueue reached the master but WAIT did not see
// it on enough replicas in time. The task may still run: the caller answers
// 503, and a redelivery under the same id is a safe duplicate.
var ErrNotReplicated = errors.New("the enqueue is not confirmed on enough replicas")

// replicatedPoolSize bounds the connections one webhook process holds for
// replicated enqueues: each request borrows one for its enqueue and its WAIT.
const replicatedPoolSize = 32

// barrierKey is written when a task already existed, so that WAIT has a
// write of this connection to wait for; see EnqueueContext.
const barrierKey = "fgd:replication-barrier"

// replicatedQueue enqueues tasks and acknowledges them only once WAIT says
// that minReplicas replicas hold them. WAIT counts the writes of the
// connection it is sent on, so each enqueue borrows an asynq client over a
// go-redis client of exactly one connection, and sends its WAIT there.
type replicatedQueue struct {
	conn        *redisconn.Conn
	minReplicas int
	timeout     time.Duration
	fence       *masterFence // under Sentinel only

	idle  chan *ackClient
	slots chan struct{} // one per client made, up to replicatedPoolSize
	mu    sync.Mutex
	all   []*ackClient
}

// ackClient is one connection and the asynq client over it. dials counts
// the connections go-redis opened: if it moved between a write and its WAIT,
// they did not share a connection and the WAIT proves nothing.
type ackClient struct {
	rdb   *redis.Client
	queue *asynq.Client
	dials atomic.Int64
	addr  atomic.Value // string: under Sentinel, the master last dialled
}

// enqueuer is how the process enqueues tasks: through the replicated queue
// when HEDGEHOG_FGD_REDIS_MIN_REPLICAS asks for it (and Redis is not the
// embedded one, which has no replicas), else straight. Close it when done.
func (p *Process) enqueuer() (q jobs.Enqueuer, replicated bool, closeQueue func()) {
	cfg := p.Config
	if cfg.RedisMinReplicas > 0 && p.Redis.Embedded != nil {
		p.Log.Warn("the embedded Redis has no replicas: " + config.VarRedisMinReplicas + " is ignored")
	}
	if cfg.RedisMinReplicas == 0 || p.Redis.Embedded != nil {
		return asynq.NewClientFromRedisClient(p.Redis.Client), false, func() {}
	}
	rq := newReplicatedQueue(p.Redis.Conn, cfg.RedisMinReplicas, cfg.RedisWaitTimeout)
	return rq, true, rq.Close
}

func newReplicatedQueue(conn *redisconn.Conn, minReplicas int, timeout time.Duration) *replicatedQueue {
	q := &replicatedQueue{
		conn: conn, minReplicas: minReplicas, timeout: timeout,
		idle: make(chan *ackClient, replicatedPoolSize), slots: make(chan struct{}, replicatedPoolSize),
	}
	if conn.Sentinel() {
		q.fence = newMasterFence(conn.Options())
	}
	return q
}

// EnqueueContext enqueues task and waits for its replication. A task that
// already exists (asynq.ErrTaskIDConflict or ErrDuplicateTask: a
// redelivery) is reported as such only once a write made after it was seen,
// and so everything before it in the replication stream, is on the
// replicas too.
//
// A try that failed on its connection (the master went away, or the
// connection was replaced mid-way) is made once more on a fresh one: after a
// failover every pooled connection fails once, and the task id keeps the
// second try from enqueuing twice.
func (q *replicatedQueue) EnqueueContext(ctx context.Context, task *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error) {
	c, err := q.borrow(ctx)
	if err != nil {
		return nil, fmt.Errorf("no Redis connection free for a replicated enqueue: %w", err)
	}
	defer func() { q.idle <- c }()

	info, wrote, exists, err := q.enqueueOnce(ctx, c, task, opts...)
	for pause := retryPause; errors.Is(err, errConnectionLost) && q.roomForAnotherTry(ctx, pause); pause *= 2 {
		// Right after a failover some Sentinels still name the old master
		// for a second or two: wait a little, then dial again.
		if pause > retryPause {
			select {
			case <-time.After(pause / 2):
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		var again *asynq.TaskInfo
		var wroteAgain bool
		again, wroteAgain, exists, err = q.enqueueOnce(ctx, c, task, opts...)
		wrote = wrote || wroteAgain
		if info == nil {
			info = again
		}
	}
	switch {
	case err != nil:
		return nil, err
	case exists && !wrote:
		return info, asynq.ErrTaskIDConflict
	}
	// A task found on the second try that the first try wrote is this
	// delivery's own, not a redelivery's.
	return info, nil
}

// retryPause is the first pause between tries that failed with their
// connection; it doubles each time.
const retryPause = 100 * time.Millisecond

// roomForAnotherTry: ctx leaves time for a pause, a try and its WAIT.
func (q *replicatedQueue) roomForAnotherTry(ctx context.Context, pause time.Duration) bool {
	dl, ok := ctx.Deadline()
	if !ok {
		return pause <= 4*retryPause // three more tries
	}
	return ctx.Err() == nil && time.Until(dl) > pause+q.timeout
}

// errConnectionLost marks a try that failed with its connection.
var errConnectionLost = errors.New("the Redis connection failed or was replaced")

// enqueueOnce is one try: the enqueue (wrote: this call created the task;
// exists: the task was there), its WAIT and the fence. err is nil only when
// the task is confirmed.
func (q *replicatedQueue) enqueueOnce(ctx context.Context, c *ackClient, task *asynq.Task, opts ...asynq.Option) (info *asynq.TaskInfo, wrote, exists bool, err error) {
	// Every write of this try must be on one connection for WAIT to cover
	// it: make sure the connection is up first (a stale one is replaced
	// here), then any dial during the try means a new connection.
	if perr := c.rdb.Ping(ctx).Err(); perr != nil {
		return nil, false, false, fmt.Errorf("%w: %w", errConnectionLost, perr)
	}
	dials := c.dials.Load()
	info, err = c.queue.EnqueueContext(ctx, task, opts...)
	exists = errors.Is(err, asynq.ErrTaskIDConflict) || errors.Is(err, asynq.ErrDuplicateTask)
	if err != nil && !exists {
		return nil, false, false, fmt.Errorf("%w: %w", errConnectionLost, err)
	}
	wrote = err == nil
	if exists {
		// Asked on one connection, the barrier must go on the same.
		if berr := c.rdb.Set(ctx, barrierKey, time.Now().UnixNano(), time.Minute).Err(); berr != nil {
			return info, wrote, exists, fmt.Errorf("%w: %w", errConnectionLost, berr)
		}
	}
	if werr := q.wait(ctx, c, dials); werr != nil {
		return info, wrote, exists, werr
	}
	if q.fence != nil {
		addr, _ := c.addr.Load().(string)
		if ferr := q.fence.Confirm(ctx, addr); ferr != nil {
			return info, wrote, exists, fgderr.Retryable(fgderr.Redis, "the enqueue is not confirmed outside a failover", fmt.Errorf("%w: %w", ErrNotReplicated, ferr))
		}
	}
	return info, wrote, exists, nil
}

// wait sends WAIT on c's one connection, bounded by the timeout and by what
// is left of ctx.
func (q *replicatedQueue) wait(ctx context.Context, c *ackClient, dials int64) error {
	timeout := q.timeout
	if dl, ok := ctx.Deadline(); ok {
		timeout = min(timeout, time.Until(dl)-20*time.Millisecond)
	}
	if timeout < time.Millisecond {
		return fgderr.Retryable(fgderr.Redis, "no time left to wait for the replicas", ErrNotReplicated)
	}
	n, err := c.rdb.Wait(ctx, q.minReplicas, timeout).Result()
	switch {
	case err != nil:
		return fgderr.Retryable(fgderr.Redis, "WAIT failed", fmt.Errorf("%w: %w", ErrNotReplicated, err))
	case c.dials.Load() != dials:
		return fgderr.Retryable(fgderr.Redis, "the connection was replaced between the enqueue and its WAIT", fmt.Errorf("%w: %w", ErrNotReplicated, errConnectionLost))
	case n < int64(q.minReplicas):
		return fgderr.Retryable(fgderr.Redis, fmt.Sprintf("%d of %d replicas confirmed the enqueue within %s", n, q.minReplicas, timeout), ErrNotReplicated)
	}
	return nil
}

func (q *replicatedQueue) borrow(ctx context.Context) (*ackClient, error) {
	select {
	case c := <-q.idle:
		return c, nil
	default:
	}
	select {
	case c := <-q.idle:
		return c, nil
	case q.slots <- struct{}{}:
		return q.newClient(), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (q *replicatedQueue) newClient() *ackClient {
	o := q.conn.Options()
	o.PoolSize, o.MinIdleConns, o.MaxIdleConns = 1, 0, 1
	// A retry would run on a new connection, where WAIT counts nothing.
	o.MaxRetries = -1
	// WAIT blocks for up to the timeout; go-redis adds it to the read
	// deadline by itself, the pool wait must not cut it.
	o.PoolTimeout = q.timeout + time.Second
	c := &ackClient{}
	if o.MasterName != "" {
		fo := o.Failover()
		fo.Dialer = masterDialer(fo, &c.addr)
		c.rdb = redis.NewFailoverClient(fo)
	} else {
		c.rdb = redis.NewClient(o.Simple())
	}
	c.rdb.AddHook(dialCounter{&c.dials})
	c.queue = asynq.NewClientFromRedisClient(c.rdb)
	q.mu.Lock()
	q.all = append(q.all, c)
	q.mu.Unlock()
	return c
}

// Close closes every connection of the pool.
func (q *replicatedQueue) Close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, c := range q.all {
		_ = c.rdb.Close()
	}
	q.all = nil
	if q.fence != nil {
		q.fence.Close()
	}
}

// dialCounter is a go-redis hook that counts the connections dialled.
type dialCounter struct{ n *atomic.Int64 }

func (d dialCounter) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		d.n.Add(1)
		return next(ctx, network, addr)
	}
}

// masterDialer dials the master that Sentinel named and keeps its address,
// as Sentinel spells it, for the failover fence. It dials as go-redis does.
func masterDialer(fo *redis.FailoverOptions, addr *atomic.Value) func(ctx context.Context, network, address string) (net.Conn, error) {
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		addr.Store(address)
		d := &net.Dialer{Timeout: fo.DialTimeout, KeepAlive: 30 * time.Second}
		if fo.TLSConfig == nil {
			return d.DialContext(ctx, network, address)
		}
		return (&tls.Dialer{NetDialer: d, Config: fo.TLSConfig}).DialContext(ctx, network, address)
	}
}

func (d dialCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }

func (d dialCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}
