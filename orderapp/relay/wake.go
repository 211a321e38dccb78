package relay

import (
	"context"

	"github.com/idemproxy/idemproxy/orderapp/app"
	"github.com/idemproxy/idemproxy/orderapp/domain"
)

// WakeOnSave wraps repo so that every save that wrote outbox entries wakes
// r (see Wake): the event leaves as soon as its order is saved.
func (r *Relay) WakeOnSave(repo app.OrderRepository) app.OrderRepository {
	return wakingRepository{OrderRepository: repo, r: r}
}

type wakingRepository struct {
	app.OrderRepository
	r *Relay
}

func (w wakingRepository) Save(ctx context.Context, o domain.Order, outbox []domain.OrderPlaced) error {
	if err := w.OrderRepository.Save(ctx, o, outbox); err != nil {
		return err
	}
	if len(outbox) > 0 {
		w.r.Wake()
	}
	return nil
}
