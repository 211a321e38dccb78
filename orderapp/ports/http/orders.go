package httpport

import (
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/idemproxy/idemproxy/orderapp/domain"
)

// receipt is the body of a 201.
type receipt struct {
	OrderID    string `json:"order_id"`
	CustomerID string `json:"customer_id"`
	Total      string `json:"total"`
}

// orderView is the body of GET /orders/{id}: the receipt's fields and the
// lines. Amounts are decimal strings, as the request sends them.
type orderView struct {
	OrderID    string     `json:"order_id"`
	CustomerID string     `json:"customer_id"`
	Total      string     `json:"total"`
	Lines      []lineView `json:"lines"`
	CreatedAt  time.Time  `json:"created_at"`
}

type lineView struct {
	Sku       string `json:"sku"`
	Quantity  int64  `json:"quantity"`
	UnitPrice string `json:"unit_price"`
	Subtotal  string `json:"subtotal"`
}

func (h *handlers) placeOrder(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBody))
	if err != nil {
		h.writeError(w, r, readError(err))
		return
	}
	cmd, err := decodePlaceOrder(body)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	rc, err := h.place.Place(r.Context(), cmd)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	id := rc.OrderID.String()
	w.Header().Set("Location", "/orders/"+id)
	writeJSON(w, http.StatusCreated, receipt{OrderID: id, CustomerID: rc.CustomerID.String(), Total: rc.Total.String()})
}

func (h *handlers) getOrder(w http.ResponseWriter, r *http.Request) {
	o, err := h.get.Get(r.Context(), mux.Vars(r)["id"])
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewOf(o))
}

func viewOf(o domain.Order) orderView {
	v := orderView{
		OrderID:    o.ID().String(),
		CustomerID: o.CustomerID().String(),
		Total:      o.Total().String(),
		CreatedAt:  o.CreatedAt().UTC(),
	}
	for _, l := range o.Lines() {
		v.Lines = append(v.Lines, lineView{
			Sku:       l.Sku().String(),
			Quantity:  l.Quantity(),
			UnitPrice: l.UnitPrice().String(),
			Subtotal:  l.Subtotal().String(),
		})
	}
	return v
}

// writeJSON writes v as the JSON body of a status response. Encoding the
// types of this package cannot fail, so its error is only a write error:
// the client is gone and nobody is left to tell.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
