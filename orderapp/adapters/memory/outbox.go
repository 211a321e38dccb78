package memory

import (
	"cmp"
	"context"
	"slices"

	"github.com/idemproxy/idemproxy/orderapp/app"
)

// Pending returns up to limit unsent entries, lowest Seq first.
func (r *OrderRepository) Pending(_ context.Context, limit int) ([]app.OutboxEntry, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	n := min(max(limit, 0), len(r.pending))
	return append([]app.OutboxEntry(nil), r.pending[:n]...), nil
}

// MarkSent drops the entry seq from the outbox; an entry that is not
// pending is ignored.
func (r *OrderRepository) MarkSent(_ context.Context, seq uint64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	i, found := slices.BinarySearchFunc(r.pending, seq, func(e app.OutboxEntry, seq uint64) int { return cmp.Compare(e.Seq, seq) })
	if found {
		r.pending = slices.Delete(r.pending, i, i+1)
	}
	return nil
}

// PendingCount returns how many entries are waiting to be sent.
func (r *OrderRepository) PendingCount() int64 {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return int64(len(r.pending))
}
