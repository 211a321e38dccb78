package relay

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/idemproxy/idemproxy/orderapp/app"
)

// Defaults of Config.
const (
	DefaultBatchSize    = 100
	DefaultPollInterval = time.Second
	DefaultMinBackoff   = 10 * time.Millisecond
	DefaultMaxBackoff   = 5 * time.Second
)

// Config holds a Relay's optional settings.
type Config struct {
	// BatchSize bounds the entries one read of the outbox returns.
	// Default: DefaultBatchSize.
	BatchSize int
	// PollInterval is how long an idle relay waits before it looks at the
	// outbox again unless woken. Default: DefaultPollInterval.
	PollInterval time.Duration
	// MinBackoff is the wait after a failed attempt; each failure in a
	// row doubles it, up to MaxBackoff. Defaults: DefaultMinBackoff,
	// DefaultMaxBackoff.
	MinBackoff, MaxBackoff time.Duration
	// Logger receives failed attempts. Default: slog.Default().
	Logger *slog.Logger
}

// ErrNotDrained is wrapped by Shutdown's error when its context ended
// before the outbox was empty; the entries left are still pending.
var ErrNotDrained = errors.New("relay: outbox not drained")

// Relay delivers outbox entries to a publisher in the background, between
// Start and Shutdown. Its methods are safe for concurrent use.
type Relay struct {
	outbox    app.Outbox
	publisher app.EventPublisher
	cfg       Config
	log       *slog.Logger

	wake chan struct{} // a save wrote entries; buffered, 1

	mu       sync.Mutex
	started  bool
	draining chan struct{}      // closed by the first Shutdown
	stop     context.CancelFunc // ends delivery at once
	done     chan struct{}      // closed when the loop has returned
	drained  atomic.Bool        // the loop returned with the outbox empty

	delivered atomic.Int64
	failures  atomic.Int64
}

// New returns a relay from outbox to publisher, not yet started, or reports
// the setting of cfg that is invalid. It panics when outbox or publisher is
// nil.
func New(outbox app.Outbox, publisher app.EventPublisher, cfg Config) (*Relay, error) {
	if outbox == nil || publisher == nil {
		panic("relay: New needs an outbox and a publisher")
	}
	if cfg.BatchSize < 0 || cfg.PollInterval < 0 || cfg.MinBackoff < 0 || cfg.MaxBackoff < 0 {
		return nil, fmt.Errorf("relay: negative BatchSize %d, PollInterval %v, MinBackoff %v or MaxBackoff %v",
			cfg.BatchSize, cfg.PollInterval, cfg.MinBackoff, cfg.MaxBackoff)
	}
	if cfg.BatchSize == 0 {
		cfg.BatchSize = DefaultBatchSize
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	if cfg.MinBackoff == 0 {
		cfg.MinBackoff = DefaultMinBackoff
		if cfg.MaxBackoff != 0 {
			cfg.MinBackoff = min(cfg.MinBackoff, cfg.MaxBackoff)
		}
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = max(DefaultMaxBackoff, cfg.MinBackoff)
	}
	if cfg.MinBackoff > cfg.MaxBackoff {
		return nil, fmt.Errorf("relay: MinBackoff %v is above MaxBackoff %v", cfg.MinBackoff, cfg.MaxBackoff)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Relay{
		outbox: outbox, publisher: publisher, cfg: cfg, log: log,
		wake:     make(chan struct{}, 1),
		draining: make(chan struct{}),
		done:     make(chan struct{}),
	}, nil
}

// Start begins delivering in a goroutine of its own, until Shutdown. It
// panics when called twice: that is a wiring mistake.
func (r *Relay) Start() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.started {
		panic("relay: Start called twice")
	}
	r.started = true
	ctx, cancel := context.WithCancel(context.Background())
	r.stop = cancel
	go r.run(ctx)
}

// Wake tells the relay that entries were saved, so it delivers them now
// rather than at its next poll. It never blocks.
func (r *Relay) Wake() {
	select {
	case r.wake <- struct{}{}:
	default: // a wake is already due
	}
}

// Shutdown stops the relay once it has delivered every pending entry,
// retrying failures as it does while running, and returns nil; when ctx
// ends first it stops at once, abandoning a publish in flight, and returns
// an error wrapping ErrNotDrained and ctx's error. Entries saved after the
// outbox was drained are left pending, so stop whatever saves orders
// first. A relay never started returns nil at once. Concurrent or later
// calls wait for the same drain, and any whose ctx ends first stops it.
func (r *Relay) Shutdown(ctx context.Context) error {
	r.mu.Lock()
	started := r.started
	select {
	case <-r.draining:
	default:
		close(r.draining)
	}
	r.mu.Unlock()
	if !started {
		return nil
	}
	select {
	case <-r.done:
	case <-ctx.Done():
		r.stop()
		<-r.done
	}
	switch {
	case r.drained.Load():
		return nil
	case ctx.Err() != nil:
		return fmt.Errorf("%w: %w", ErrNotDrained, ctx.Err())
	default: // an earlier Shutdown gave up
		return ErrNotDrained
	}
}

// Delivered returns how many events the publisher accepted; an entry
// delivered again (see the package doc) counts again.
func (r *Relay) Delivered() int64 { return r.delivered.Load() }

// Failures returns how many publish attempts failed.
func (r *Relay) Failures() int64 { return r.failures.Load() }
