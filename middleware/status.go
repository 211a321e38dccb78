package middleware

import (
	"fmt"
	"strconv"
)

// statusTable maps every status 100–599 to its finish action, resolved once
// at construction so the hot path is an array index.
type statusTable [600]Action

// releasedByDefault are the statuses that mean "nothing happened upstream":
// the request was refused before any side effect, so the key may be retried.
var releasedByDefault = []int{400, 401, 403, 404, 405, 413, 415, 422, 429}

// newStatusTable builds the table from the defaults and
// layers of overrides ("503" or "5xx" → action): each layer beats the ones
// before it, and within a layer an exact status beats its class.
func newStatusTable(layers ...map[string]Action) (*statusTable, error) {
	var t statusTable
	for s := 100; s < 600; s++ {
		if s < 400 {
			t[s] = ActionReplay
		} else {
			t[s] = ActionFail
		}
	}
	for _, s := range releasedByDefault {
		t[s] = ActionRelease
	}
	for _, overrides := range layers {
		if err := t.apply(overrides); err != nil {
			return nil, err
		}
	}
	return &t, nil
}

func (t *statusTable) apply(overrides map[string]Action) error {
	var exact []int
	for k, a := range overrides {
		if a != ActionReplay && a != ActionFail && a != ActionRelease {
			return fmt.Errorf("%q: action %q is not one of replay, fail, release", k, a)
		}
		if len(k) == 3 && k[1:] == "xx" && k[0] >= '1' && k[0] <= '5' {
			base := int(k[0]-'0') * 100
			for s := base; s < base+100; s++ {
				t[s] = a
			}
			continue
		}
		s, err := strconv.Atoi(k)
		if err != nil || s < 100 || s > 599 {
			return fmt.Errorf("%q is neither a status 100-599 nor a class like 5xx", k)
		}
		exact = append(exact, s)
	}
	// Exact statuses last, so they beat their class whatever the map order.
	for _, s := range exact {
		t[s] = overrides[strconv.Itoa(s)]
	}
	return nil
}

func (t *statusTable) action(status int) Action {
	if status < 100 || status > 599 {
		return ActionFail
	}
	return t[status]
}
