package app_test

import (
	"testing"

	"github.com/idemproxy/idemproxy/orderapp/app"
)

func TestPublishModeText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text    string
		want    app.PublishMode
		wantErr bool
	}{
		{text: "outbox", want: app.PublishOutbox},
		{text: "direct", want: app.PublishDirect},
		{text: "Direct", wantErr: true},
		{text: "", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			t.Parallel()
			var got app.PublishMode
			err := got.UnmarshalText([]byte(tc.text))
			if tc.wantErr {
				if err == nil {
					t.Errorf("UnmarshalText(%q) = %v, nil; want an error", tc.text, got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("UnmarshalText(%q) = %v, %v; want %v, nil", tc.text, got, err, tc.want)
			}
			if b, err := got.MarshalText(); err != nil || string(b) != tc.text {
				t.Errorf("MarshalText() = %q, %v; want %q, nil", b, err, tc.text)
			}
		})
	}
	if _, err := app.PublishMode(7).MarshalText(); err == nil {
		t.Error("MarshalText of PublishMode(7): error = nil, want an error")
	}
}
