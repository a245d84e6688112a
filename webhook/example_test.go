package webhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/herdhq/herd/config"
	"github.com/herdhq/herd/event"
	"github.com/herdhq/herd/webhook"
)

// A receiver verifies each delivery before it trusts it.
func ExampleVerify() {
	const secret = "from HERD_WEBHOOK_SECRET"
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "read body", http.StatusBadRequest)
			return
		}
		if err := webhook.Verify(secret, r.Header, body, 5*time.Minute, time.Now()); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		var e event.Event
		if err := json.Unmarshal(body, &e); err != nil {
			http.Error(w, "bad event", http.StatusBadRequest)
			return
		}
		fmt.Printf("%s %s: %s\n", r.Header.Get(webhook.HeaderEvent), e.Tenant, e.Reason)
	}))
	defer receiver.Close()

	s := webhook.New([]config.Webhook{{URL: receiver.URL, Secret: secret}}, webhook.Options{})
	s.Send(event.Event{Type: event.TenantRolledBack, Tenant: "demo_trust", Reason: "health probe students_readable failed"})
	if err := s.Close(context.Background()); err != nil {
		fmt.Println(err)
	}
	// Output:
	// tenant.rolled_back demo_trust: health probe students_readable failed
}
