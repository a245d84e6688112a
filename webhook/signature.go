package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The headers of a delivery.
const (
	// HeaderEvent holds the event's type, such as tenant.failed.
	HeaderEvent = "X-Herd-Event"
	// HeaderDelivery holds an id unique to the delivery of one event to
	// one webhook; retries of the delivery carry the same id, so a
	// receiver can drop duplicates.
	HeaderDelivery = "X-Herd-Delivery"
	// HeaderTimestamp holds the Unix time, in seconds, of the attempt.
	HeaderTimestamp = "X-Herd-Timestamp"
	// HeaderSignature holds Sign(secret, timestamp, body).
	HeaderSignature = "X-Herd-Signature"
)

// signaturePrefix names the signature's algorithm in HeaderSignature.
const signaturePrefix = "sha256="

// Sign returns the X-Herd-Signature value of a delivery: "sha256=" followed
// by the lower-case hex HMAC-SHA256, keyed by secret, of the decimal
// timestamp, a ".", and the body. Signing the timestamp with the body lets
// a receiver refuse replays of old deliveries.
func Sign(secret string, timestamp int64, body []byte) string {
	return signaturePrefix + hex.EncodeToString(mac(secret, timestamp, body))
}

// mac is the raw HMAC-SHA256 of timestamp + "." + body.
func mac(secret string, timestamp int64, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(timestamp, 10)))
	m.Write([]byte("."))
	m.Write(body)
	return m.Sum(nil)
}

// Verify checks a delivery as a receiver gets it: that the
// X-Herd-Signature in header is Sign(secret, timestamp, body) for the
// X-Herd-Timestamp in header, compared in constant time, and, when maxAge
// is above 0, that the timestamp is no further than maxAge from now in
// either direction. It returns nil for a genuine delivery, and an error
// saying what is wrong otherwise; the error never contains the secret.
// Verify is safe for concurrent use.
func Verify(secret string, header http.Header, body []byte, maxAge time.Duration, now time.Time) error {
	tsText := header.Get(HeaderTimestamp)
	if tsText == "" {
		return fmt.Errorf("webhook: verify: no %s header", HeaderTimestamp)
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return fmt.Errorf("webhook: verify: %s header %q is not a Unix time in seconds", HeaderTimestamp, tsText)
	}
	sig := header.Get(HeaderSignature)
	if sig == "" {
		return fmt.Errorf("webhook: verify: no %s header", HeaderSignature)
	}
	hexMAC, ok := strings.CutPrefix(sig, signaturePrefix)
	got, err := hex.DecodeString(hexMAC)
	if !ok || err != nil {
		return fmt.Errorf("webhook: verify: %s header is not sha256=<hex>", HeaderSignature)
	}
	if !hmac.Equal(got, mac(secret, ts, body)) {
		return errors.New("webhook: verify: signature does not match")
	}
	if maxAge > 0 {
		switch age := now.Sub(time.Unix(ts, 0)); {
		case age > maxAge:
			return fmt.Errorf("webhook: verify: delivery is %s old, more than %s", age.Truncate(time.Second), maxAge)
		case age < -maxAge:
			return fmt.Errorf("webhook: verify: delivery is %s in the future, more than %s", (-age).Truncate(time.Second), maxAge)
		}
	}
	return nil
}
