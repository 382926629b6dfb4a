package handlers

import (
	"context"
	"errors"
	"io"
	"math/bits"
	"net/http"
	"sync"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/githedgehog/fgd-sync/fgderr"
)

// DefaultMemoryBytes is the memory budget shared by all request bodies when
// WebhookHandler.MemoryBytes is zero (HEDGEHOG_FGD_WEBHOOK_MEMORY_BYTES).
const DefaultMemoryBytes = 64 << 20

// BudgetWait is how long a request waits for its share of the budget before
// it is answered 503.
const BudgetWait = time.Second

// bodyReadTimeout bounds how long a sender may hold its share while it sends
// the body. GitHub gives up on a delivery after 10 s, so a body still
// arriving then is not GitHub's.
const bodyReadTimeout = 10 * time.Second

// Buffers up to pooledMax bytes are pooled, in power-of-two classes from
// pooledMin; larger ones are dropped after use, so that a burst of large
// bodies does not stay resident.
const (
	pooledMin     = 4 << 10
	pooledMax     = 1 << 20
	pooledClasses = 9 // 4 KiB … 1 MiB
)

// memoryBudget bounds the memory that request bodies hold at once. Bodies
// that fit a pooled buffer draw from a lane of their own, so that a queue of
// large bodies (which the semaphore serves in order) never holds up a
// small delivery such as a ping behind it.
type memoryBudget struct {
	small, large         *semaphore.Weighted
	smallSize, largeSize int64
	pools                [pooledClasses]sync.Pool
}

func newMemoryBudget(total int64) *memoryBudget {
	small := max(total/8, min(total, pooledMax))
	return &memoryBudget{
		small: semaphore.NewWeighted(small), smallSize: small,
		large: semaphore.NewWeighted(total - small), largeSize: total - small,
	}
}

// share is bytes of the budget held by one buffer. expect is the body's
// announced size (Content-Length), 0 when unknown: it picks the lane from
// the start, so a large body growing as it arrives never crowds the small
// lane, and one that could never fit is refused at once.
type share struct {
	sem    *semaphore.Weighted
	n      int64
	expect int64
}

// errOverBudget is a body larger than its lane: it could never be read.
var errOverBudget = errors.New("body larger than the memory budget")

// lane returns the semaphore a buffer of n bytes draws from, and its size.
func (b *memoryBudget) lane(n int64) (*semaphore.Weighted, int64) {
	if n > pooledMax {
		return b.large, b.largeSize
	}
	return b.small, b.smallSize
}

// acquire takes n bytes from the lane of a body of expect bytes (or of a
// buffer of n bytes when expect is 0), waiting at most until ctx ends.
func (b *memoryBudget) acquire(ctx context.Context, n, expect int64) (share, error) {
	return b.grow(ctx, share{expect: expect}, n)
}

// grow turns s into a share of n bytes. Within one lane only the difference
// is taken: the old buffer, garbage once copied, is not counted twice.
func (b *memoryBudget) grow(ctx context.Context, s share, n int64) (share, error) {
	sem, size := b.lane(max(n, s.expect))
	if max(n, s.expect) > size {
		return s, errOverBudget
	}
	if s.sem == sem {
		if err := sem.Acquire(ctx, n-s.n); err != nil {
			return s, err
		}
		return share{sem: sem, n: n, expect: s.expect}, nil
	}
	if err := sem.Acquire(ctx, n); err != nil {
		return s, err
	}
	s.release()
	return share{sem: sem, n: n, expect: s.expect}, nil
}

func (s share) release() {
	if s.sem != nil {
		s.sem.Release(s.n)
	}
}

// class is the pool class of a buffer for n bytes, or -1 when n is too
// large to pool.
func class(n int64) int {
	if n > pooledMax {
		return -1
	}
	if n <= pooledMin {
		return 0
	}
	return bits.Len64(uint64(n-1)) - bits.Len64(pooledMin-1)
}

func classSize(c int) int64 { return pooledMin << c }

// buffer returns a buffer of capacity size (a class size when pooled).
func (b *memoryBudget) buffer(size int64) []byte {
	if c := class(size); c >= 0 {
		if p, ok := b.pools[c].Get().(*[]byte); ok {
			return (*p)[:0]
		}
	}
	return make([]byte, 0, size)
}

func (b *memoryBudget) recycle(buf []byte) {
	c := class(int64(cap(buf)))
	if c >= 0 && int64(cap(buf)) == classSize(c) {
		b.pools[c].Put(&buf)
	}
}

// heldBody is a request body held within the budget; free gives its memory
// back.
type heldBody struct {
	data   []byte
	budget *memoryBudget
	share  share
}

func (h *heldBody) free() {
	if h == nil || h.budget == nil {
		return
	}
	h.budget.recycle(h.data)
	h.share.release()
	h.budget, h.data = nil, nil
}

// bodyError is why a body could not be read: the code to answer and the
// outcome for the metrics.
type bodyError struct {
	code    fgderr.Code
	msg     string
	outcome string
}

// readBody reads r's body into a buffer held within the budget. Its share
// grows with what has arrived, and each growth must be had within
// BudgetWait.
func (b *memoryBudget) readBody(w http.ResponseWriter, r *http.Request) (*heldBody, *bodyError) {
	rc := http.NewResponseController(w)
	// Not supported by every ResponseWriter (tests' recorders): then only
	// the server's own ReadTimeout applies. The deadline is lifted once the
	// body is in; a body left unread keeps it, so that the server's discard
	// of the rest is bounded too.
	_ = rc.SetReadDeadline(time.Now().Add(BudgetWait + bodyReadTimeout))
	done := func(h *heldBody) (*heldBody, *bodyError) {
		_ = rc.SetReadDeadline(time.Time{})
		return h, nil
	}

	// The share grows as bytes arrive, even when Content-Length announces
	// the size: a sender that announces a large body and then stalls holds
	// only what it has sent, not the budget honest deliveries need.
	ceiling, expect := int64(MaxWebhookBody+1), int64(0)
	if r.ContentLength >= 0 {
		ceiling, expect = max(r.ContentLength, 1), r.ContentLength
	}
	held, berr := b.hold(r.Context(), min(pooledMin, ceiling), expect)
	if berr != nil {
		return nil, berr
	}
	for {
		if len(held.data) == cap(held.data) {
			if int64(len(held.data)) > MaxWebhookBody {
				held.free()
				return nil, &bodyError{fgderr.LimitExceeded, "body over 25 MiB", outcomeTooLarge}
			}
			if berr := b.enlarge(r.Context(), held, min(2*int64(cap(held.data)), ceiling)); berr != nil {
				held.free()
				return nil, berr
			}
		}
		n, err := r.Body.Read(held.data[len(held.data):cap(held.data)])
		held.data = held.data[:len(held.data)+n]
		if errors.Is(err, io.EOF) {
			if int64(len(held.data)) > MaxWebhookBody {
				held.free()
				return nil, &bodyError{fgderr.LimitExceeded, "body over 25 MiB", outcomeTooLarge}
			}
			return done(held)
		}
		if err != nil {
			held.free()
			return nil, &bodyError{fgderr.BadRequest, "could not read the whole body: the connection failed, or the body arrived too slowly", outcomeBadRequest}
		}
	}
}

// hold takes size bytes of the budget, within BudgetWait, and a buffer of
// that capacity.
func (b *memoryBudget) hold(ctx context.Context, size, expect int64) (*heldBody, *bodyError) {
	ctx, cancel := context.WithTimeout(ctx, BudgetWait)
	defer cancel()
	s, err := b.acquire(ctx, size, expect)
	if err != nil {
		return nil, budgetError(err)
	}
	return &heldBody{data: b.buffer(size), budget: b, share: s}, nil
}

// enlarge moves a chunked body being read into a buffer of size bytes,
// growing its share within BudgetWait.
func (b *memoryBudget) enlarge(ctx context.Context, h *heldBody, size int64) *bodyError {
	ctx, cancel := context.WithTimeout(ctx, BudgetWait)
	defer cancel()
	s, err := b.grow(ctx, h.share, size)
	if err != nil {
		return budgetError(err)
	}
	h.share = s
	old := h.data
	h.data = append(b.buffer(size), old...)
	b.recycle(old)
	return nil
}

func budgetError(err error) *bodyError {
	if errors.Is(err, errOverBudget) {
		return &bodyError{fgderr.LimitExceeded, "body larger than the webhook's memory budget (HEDGEHOG_FGD_WEBHOOK_MEMORY_BYTES)", outcomeTooLarge}
	}
	return &bodyError{fgderr.WorkerPool, "the server is reading too many bodies at once; redeliver later", outcomeBusy}
}
