// Package embedredis starts the in-memory miniredis that make run and the
// tests' last resort use, with its clock driven by real time.
package embedredis

import (
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"
)

// Server is a running miniredis.
type Server struct {
	*miniredis.Miniredis
	stop chan struct{}
	once sync.Once
}

// tick is how often key TTLs are advanced.
const tick = 50 * time.Millisecond

// Start starts a miniredis on a loopback port. miniredis never expires keys
// by itself (its TTLs move only with FastForward), so a lock lease or an
// asynq uniqueness key would live forever; a goroutine advances its clock
// with real time.
func Start() (*Server, error) {
	m := miniredis.NewMiniRedis()
	if err := m.StartAddr("127.0.0.1:0"); err != nil {
		return nil, err
	}
	s := &Server{Miniredis: m, stop: make(chan struct{})}
	go func() {
		t := time.NewTicker(tick)
		defer t.Stop()
		last := time.Now()
		for {
			select {
			case <-s.stop:
				return
			case now := <-t.C:
				m.FastForward(now.Sub(last))
				m.SetTime(now)
				last = now
			}
		}
	}()
	return s, nil
}

// Close stops the clock and the server.
func (s *Server) Close() {
	s.once.Do(func() { close(s.stop) })
	s.Miniredis.Close()
}
