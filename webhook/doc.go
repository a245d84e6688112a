// Package webhook delivers herd's fleet events to the webhooks of
// herd.yaml: signed JSON POSTs, retried with backoff, queued so that the
// rollout that emits them never waits for a receiver.
//
// A Sender is an event.Sink: add it to the rollout's event.Fanout, and
// Close it, with a deadline, when the process stops.
//
//	s := webhook.New(cfg.Webhooks, webhook.Options{Logger: logger})
//	defer s.Close(ctx) // flushes the queues until ctx ends
//
// # What a receiver gets
//
// Each event is POSTed to every webhook subscribed to its type (all types
// when the webhook lists none). The body is the event.Event as JSON:
//
//	{"type":"tenant.failed","time":"2025-06-01T10:00:00Z","rollout":7,
//	 "wave":"canary","tenant":"demo_trust","from":"1.1.0","to":"2.0.0",
//	 "reason":"v2.0.0/006_enhance_student_model: statement 3: …"}
//
// A tenant.maintenance_planned event also carries "calendar", the address
// of the tenant's upgrade calendar that herd serve answers, when
// Options.CalendarURL gives one (herd.yaml's serve.public_url).
//
// with these headers:
//
//	Content-Type:      application/json
//	X-Herd-Event:      tenant.failed
//	X-Herd-Delivery:   32 hex digits, the same on every retry of this delivery
//	X-Herd-Timestamp:  Unix seconds of this attempt
//	X-Herd-Signature:  sha256=hex(HMAC-SHA256(secret, timestamp + "." + body))
//
// A receiver checks the signature, in constant time, and the timestamp's
// age before it trusts the body; Verify does both. It should answer with a
// 2xx quickly and do its work afterwards, and drop deliveries whose
// X-Herd-Delivery it has seen (a retry after a lost answer repeats one).
//
// # Retries and order
//
// A network error, a 429 or a 5xx is retried, up to Options.MaxAttempts
// attempts, after Options.Backoff or the receiver's Retry-After (seconds or
// an HTTP date, capped at five minutes). Other answers are final: a 4xx
// means the receiver refuses the delivery, and a 3xx is not followed.
// Each webhook has one worker, so a webhook receives events in the order
// they were sent, and a delivery being retried holds back those behind it.
// A webhook whose queue is full loses new events, counted by
// Sender.Dropped: a rollout is never slowed by its observers.
package webhook
