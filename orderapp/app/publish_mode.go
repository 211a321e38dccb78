package app

import "fmt"

// PublishMode says how PlaceOrder gets an order's OrderPlaced event out.
type PublishMode int

const (
	// PublishOutbox saves the event as an outbox entry in the same atomic
	// step as the order; a relay publishes it later, at least once. A
	// publisher that is down does not fail the order.
	PublishOutbox PublishMode = iota
	// PublishDirect is the seed's original path: save the order, then
	// publish inline. A failed publish is a *domain.PublishError (503) and
	// the order stays saved without its event.
	PublishDirect
)

// String returns the mode's name as -publish takes it: "outbox" or
// "direct".
func (m PublishMode) String() string {
	switch m {
	case PublishOutbox:
		return "outbox"
	case PublishDirect:
		return "direct"
	default:
		return fmt.Sprintf("PublishMode(%d)", int(m))
	}
}

// MarshalText returns String, so the mode can be a flag.TextVar.
func (m PublishMode) MarshalText() ([]byte, error) {
	if m != PublishOutbox && m != PublishDirect {
		return nil, fmt.Errorf("app: unknown publish mode %d", int(m))
	}
	return []byte(m.String()), nil
}

// UnmarshalText reads "outbox" or "direct".
func (m *PublishMode) UnmarshalText(b []byte) error {
	switch string(b) {
	case "outbox":
		*m = PublishOutbox
	case "direct":
		*m = PublishDirect
	default:
		return fmt.Errorf("publish mode %q: want outbox or direct", b)
	}
	return nil
}
