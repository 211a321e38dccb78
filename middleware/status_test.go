package middleware

import "testing"

func TestStatusTable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		overrides map[string]Action
		status    int
		want      Action
	}{
		{name: "2xx replays", status: 201, want: ActionReplay},
		{name: "3xx replays", status: 303, want: ActionReplay},
		{name: "400 releases", status: 400, want: ActionRelease},
		{name: "429 releases", status: 429, want: ActionRelease},
		{name: "409 fails", status: 409, want: ActionFail},
		{name: "402 fails", status: 402, want: ActionFail},
		{name: "500 fails", status: 500, want: ActionFail},
		{name: "503 fails", status: 503, want: ActionFail},
		{name: "out of range fails", status: 999, want: ActionFail},
		{name: "class override", overrides: map[string]Action{"5xx": ActionReplay}, status: 502, want: ActionReplay},
		{name: "exact beats class", overrides: map[string]Action{"5xx": ActionReplay, "503": ActionRelease}, status: 503, want: ActionRelease},
		{name: "class keeps others", overrides: map[string]Action{"5xx": ActionReplay, "503": ActionRelease}, status: 500, want: ActionReplay},
		{name: "exact override", overrides: map[string]Action{"402": ActionReplay}, status: 402, want: ActionReplay},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			table, err := newStatusTable(tc.overrides)
			if err != nil {
				t.Fatal(err)
			}
			if got := table.action(tc.status); got != tc.want {
				t.Errorf("action(%d) = %q, want %q", tc.status, got, tc.want)
			}
		})
	}
}

func TestStatusTableRejectsBadEntries(t *testing.T) {
	t.Parallel()
	for _, overrides := range []map[string]Action{
		{"6xx": ActionFail}, {"99": ActionFail}, {"600": ActionFail}, {"abc": ActionFail}, {"500": "explode"},
	} {
		if _, err := newStatusTable(overrides); err == nil {
			t.Errorf("newStatusTable(%v) = nil error, want one", overrides)
		}
	}
}
