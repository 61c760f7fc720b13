package decisionlog

import (
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// JSONOptions tune the JSON sink; the zero value is what serve uses.
type JSONOptions struct {
	// Filter says which decisions are written.
	Filter Filter
	// Now stamps the lines; nil is time.Now. Tests freeze it.
	Now func() time.Time
	// FlushEvery bounds how long an allowed line waits in the buffer
	// before it is written; 0 is 200ms.
	FlushEvery time.Duration
	// BufferSize is how much the buffer holds before allowed lines are
	// written without waiting; 0 is 32 KiB.
	BufferSize int
	// OnError hears of the first failed write, and only of that one: a
	// broken log output must not turn every API call into a complaint.
	// The lines of a failed write are dropped, not retried, so a broken
	// output neither grows the buffer nor stalls the sink; later lines are
	// written as usual. nil ignores write errors. It is called without the
	// sink's lock held.
	OnError func(error)
}

// JSON writes decisions as logrus's JSONFormatter would, without logrus.
//
// Allowed lines are buffered, so an allowed call costs no write syscall:
// they are written when the buffer fills, FlushEvery after the first of
// them, or on Flush or Close. A denial is written at once, after the lines
// before it. Safe for concurrent use.
type JSON struct {
	filter Filter
	now    func() time.Time
	every  time.Duration
	limit  int
	report func(error)

	mu     sync.Mutex
	w      io.Writer
	buf    []byte
	timer  *time.Timer // flushes buffered allowed lines
	armed  bool        // timer will fire
	closed bool        // no more buffering: every line is written at once

	reported atomic.Bool
}

// NewJSON returns a JSON sink writing to w. Close it to write what it
// still holds.
func NewJSON(w io.Writer, o JSONOptions) *JSON {
	s := &JSON{filter: o.Filter, now: o.Now, every: o.FlushEvery, limit: o.BufferSize, report: o.OnError, w: w}
	if s.now == nil {
		s.now = time.Now
	}
	if s.every <= 0 {
		s.every = 200 * time.Millisecond
	}
	if s.limit <= 0 {
		s.limit = 32 << 10
	}
	// Room for the limit plus one typical line, so that reaching the
	// limit does not regrow the buffer.
	s.buf = make([]byte, 0, s.limit+1024)
	return s
}

// Log writes r if the filter wants it: at once if it is a denial,
// buffered if it is allowed.
func (s *JSON) Log(r Record) {
	if !s.filter.wants(r) {
		return
	}
	t := s.now()
	s.mu.Lock()
	s.buf = appendLine(s.buf, r, t)
	var err error
	switch {
	case r.Denied || s.closed || len(s.buf) >= s.limit:
		err = s.flushLocked()
	case !s.armed:
		s.armed = true
		if s.timer == nil {
			s.timer = time.AfterFunc(s.every, s.tick)
		} else {
			s.timer.Reset(s.every)
		}
	}
	s.mu.Unlock()
	s.fail(err)
}

func (s *JSON) tick() {
	s.mu.Lock()
	s.armed = false
	err := s.flushLocked()
	s.mu.Unlock()
	s.fail(err)
}

// Flush writes the buffered lines.
func (s *JSON) Flush() error {
	s.mu.Lock()
	err := s.flushLocked()
	s.mu.Unlock()
	s.fail(err)
	return err
}

// Close writes the buffered lines and stops buffering: lines logged after
// Close (calls still in flight at shutdown) are written at once. Closing
// again does nothing more.
func (s *JSON) Close() error {
	s.mu.Lock()
	s.closed = true
	if s.timer != nil {
		s.timer.Stop()
	}
	err := s.flushLocked()
	s.mu.Unlock()
	s.fail(err)
	return err
}

func (s *JSON) flushLocked() error {
	if len(s.buf) == 0 {
		return nil
	}
	_, err := s.w.Write(s.buf)
	s.buf = s.buf[:0]
	return err
}

func (s *JSON) fail(err error) {
	if err != nil && s.report != nil && s.reported.CompareAndSwap(false, true) {
		s.report(err)
	}
}
