// Package relay is the delivering half of orderapp's transactional outbox.
// PlaceOrder saves each order together with its OrderPlaced entry in one
// atomic step of the repository; a Relay then reads the pending entries
// (app.Outbox), publishes each to the app.EventPublisher and marks it sent.
//
// Delivery is at least once: an entry is marked sent only after the
// publisher accepted it, so a crash or a failed mark between the two
// publishes it again, and consumers deduplicate on the event's EventID
// (the order ID). Entries go out one at a time in the order they were
// saved, which keeps each order's events in order; a failed publish holds
// back the entries after it and is retried with a doubling backoff, capped
// at Config.MaxBackoff. Shutdown drains what is pending within its
// context's deadline.
//
// The relay polls the outbox, and can be woken (Wake, WakeOnSave) when a
// save wrote entries, so that an event leaves at once rather than at the
// next poll.
package relay
