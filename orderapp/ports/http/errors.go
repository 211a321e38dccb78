package httpport

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/idemproxy/idemproxy/orderapp/app"
	"github.com/idemproxy/idemproxy/orderapp/domain"
)

// errorBody is the seed's error response: the error's type name and a
// message for people.
type errorBody struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}

// classify is the one place errors become HTTP responses. The types are
// the seed's, with the seed's statuses; server-side failures get a message
// that does not leak internals (those go to the log).
func classify(err error) (int, errorBody) {
	var (
		tooLarge  *http.MaxBytesError
		invalid   *domain.ValidationError
		short     *domain.OutOfStockError
		declined  *domain.PaymentDeclinedError
		notFound  *domain.OrderNotFoundError
		unsaved   *domain.PersistenceError
		unpublish *domain.PublishError
	)
	switch {
	case errors.As(err, &tooLarge):
		return http.StatusRequestEntityTooLarge, errorBody{"RequestTooLarge",
			fmt.Sprintf("request body: must be at most %d bytes", tooLarge.Limit)}
	case errors.As(err, &invalid):
		return http.StatusBadRequest, errorBody{"ValidationError", invalid.Error()}
	case errors.As(err, &short):
		return http.StatusConflict, errorBody{"OutOfStock", short.Error()}
	case errors.As(err, &declined):
		return http.StatusPaymentRequired, errorBody{"PaymentDeclined", declined.Error()}
	case errors.As(err, &notFound):
		return http.StatusNotFound, errorBody{"OrderNotFound", notFound.Error()}
	case errors.As(err, &unpublish):
		return http.StatusServiceUnavailable, errorBody{"PublishError",
			fmt.Sprintf("order %s was placed but its OrderPlaced event could not be published", unpublish.OrderID)}
	case errors.As(err, &unsaved):
		return http.StatusInternalServerError, errorBody{"PersistenceError", "the order repository failed to " + unsaved.Op + " the order"}
	default:
		return http.StatusInternalServerError, errorBody{"InternalError", "internal error"}
	}
}

// writeError answers err, and logs what the client is not told: every
// server-side failure, and any failed compensation (stock left held or
// money left taken needs an operator even when the client gets a 402).
func (h *handlers) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, body := classify(err)
	var comp *app.CompensationError
	if status >= 500 || errors.As(err, &comp) {
		h.log.ErrorContext(r.Context(), "orderapp: request failed",
			"method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	}
	writeJSON(w, status, body)
}

// readError names a body that could not be read. Past the size limit the
// *http.MaxBytesError stays, for a 413; anything else (a client that hung
// up, broken chunking) is the client's malformed request.
func readError(err error) error {
	if tooLarge := (*http.MaxBytesError)(nil); errors.As(err, &tooLarge) {
		return err
	}
	return &domain.ValidationError{Field: "request body", Reason: "could not be read"}
}
