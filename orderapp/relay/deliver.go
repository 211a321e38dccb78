package relay

import (
	"context"
	"fmt"
	"time"
)

// run delivers until ctx ends, or until Shutdown asked for a drain and the
// outbox is empty.
func (r *Relay) run(ctx context.Context) {
	defer close(r.done)
	b := backoff{min: r.cfg.MinBackoff, max: r.cfg.MaxBackoff}
	poll := time.NewTimer(r.cfg.PollInterval)
	defer poll.Stop()
	for {
		err := r.deliverPending(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			wait := b.next()
			r.log.Warn("orderapp: outbox delivery failed; retrying", "err", err, "retry_in", wait)
			if !sleep(ctx, wait) {
				return
			}
			continue
		}
		b.reset()
		if r.isDraining() { // and the pass above found the outbox empty
			r.drained.Store(true)
			return
		}
		poll.Reset(r.cfg.PollInterval)
		select {
		case <-r.draining: // one more pass, then return
		case <-ctx.Done():
			return
		case <-r.wake:
		case <-poll.C:
		}
	}
}

// deliverPending publishes the pending entries one at a time, lowest Seq
// first, marking each sent once the publisher accepted it, until the
// outbox is empty. It stops at the first failure, so that no entry
// overtakes one saved before it.
func (r *Relay) deliverPending(ctx context.Context) error {
	for {
		entries, err := r.outbox.Pending(ctx, r.cfg.BatchSize)
		if err != nil {
			return fmt.Errorf("read outbox: %w", err)
		}
		for _, e := range entries {
			if err := r.publisher.Publish(ctx, e.Event); err != nil {
				r.failures.Add(1)
				return fmt.Errorf("publish event %s (entry %d): %w", e.Event.EventID(), e.Seq, err)
			}
			r.delivered.Add(1)
			if err := r.outbox.MarkSent(ctx, e.Seq); err != nil {
				return fmt.Errorf("mark entry %d sent, so it will be delivered again: %w", e.Seq, err)
			}
		}
		if len(entries) < r.cfg.BatchSize {
			return nil
		}
	}
}

// isDraining reports whether Shutdown has asked for a drain.
func (r *Relay) isDraining() bool {
	select {
	case <-r.draining:
		return true
	default:
		return false
	}
}

// sleep waits d, or returns false at once when ctx ends.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
