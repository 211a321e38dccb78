package memstore

import "container/heap"

// expiryHeap is a min-heap of records by expiry, so that the records to
// drop are found without a scan: the first to expire is at the root, and
// adding, moving or removing a record is O(log n). Each record keeps its
// index (record.heapIndex), which is how fix and remove find it.
type expiryHeap []*record

// push adds r, whose expiresAt is set.
func (h *expiryHeap) push(r *record) { heap.Push(h, r) }

// fix restores the order after r.expiresAt changed; nothing when r is not
// in the heap (yet).
func (h *expiryHeap) fix(r *record) {
	if r.heapIndex >= 0 {
		heap.Fix(h, r.heapIndex)
	}
}

// remove takes r out; nothing when r is not in the heap.
func (h *expiryHeap) remove(r *record) {
	if r.heapIndex >= 0 {
		heap.Remove(h, r.heapIndex)
	}
}

// first returns the record that expires first, or nil.
func (h expiryHeap) first() *record {
	if len(h) == 0 {
		return nil
	}
	return h[0]
}

// heap.Interface; not for use but through container/heap.

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].expiresAt.Before(h[j].expiresAt) }

func (h expiryHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].heapIndex = i
	h[j].heapIndex = j
}

func (h *expiryHeap) Push(x any) {
	r := x.(*record)
	r.heapIndex = len(*h)
	*h = append(*h, r)
}

func (h *expiryHeap) Pop() any {
	old := *h
	r := old[len(old)-1]
	old[len(old)-1] = nil // no dangling pointer in the backing array
	*h = old[:len(old)-1]
	r.heapIndex = -1
	return r
}
