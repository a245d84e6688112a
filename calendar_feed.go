package herd

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
)

// calendarKeyBytes is the length of the calendar key: 256 bits, drawn
// from crypto/rand.
const calendarKeyBytes = 32

// calendarFeed is what the key signs for the feed req names: a tenant's
// ("tenant:CODE") or a tier's ("tier:T"); ok is false for the whole
// fleet's calendar, which no key opens.
func calendarFeed(req CalendarRequest) (msg string, ok bool) {
	switch {
	case req.Tenant != "":
		return "tenant:" + req.Tenant, true
	case req.Tier != "":
		return "tier:" + req.Tier, true
	}
	return "", false
}

// calendarSignature is the hex HMAC-SHA256, under key, of msg.
func calendarSignature(key []byte, msg string) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(msg)) //nolint:errcheck // a hash never fails to write
	return hex.EncodeToString(mac.Sum(nil))
}

// calendarKey returns the fleet's calendar key, making it on first use:
// a random key offered to the control database, which keeps the first
// one stored when several processes offer theirs at once.
func (f *Fleet) calendarKey(ctx context.Context) ([]byte, error) {
	key, ok, err := f.control.CalendarKey(ctx)
	if err != nil {
		return nil, err
	}
	if !ok {
		fresh, err := newCalendarKey()
		if err != nil {
			return nil, err
		}
		if key, err = f.control.EnsureCalendarKey(ctx, fresh); err != nil {
			return nil, err
		}
	}
	return decodeCalendarKey(key)
}

// decodeCalendarKey reads the calendar key as the control database keeps
// it, in hex.
func decodeCalendarKey(stored string) ([]byte, error) {
	raw, err := hex.DecodeString(stored)
	if err != nil {
		return nil, fmt.Errorf("calendar key in the control database: %w", err)
	}
	return raw, nil
}

// newCalendarKey draws a new calendar key, hex-encoded.
func newCalendarKey() (string, error) {
	raw := make([]byte, calendarKeyBytes)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("calendar key: %w", err)
	}
	return hex.EncodeToString(raw), nil
}

// CalendarURL returns the signed address of the calendar feed req names
// (a tenant's, or a tier's; Weeks is left out): herd serve's
// /calendar/{tenant}.ics or /calendar.ics?tier=T at herd.yaml's
// serve.public_url, with key=HEX, the feed signed with the fleet's
// calendar key, so that a calendar application, which cannot send a
// token, may read it. It makes the key on first use. A herd.yaml without
// serve.public_url, a request naming neither a tenant nor a tier, an
// unknown tier and an unknown tenant (wrapping control.ErrTenantNotFound)
// are input errors.
func (f *Fleet) CalendarURL(ctx context.Context, req CalendarRequest) (string, error) {
	msg, ok := calendarFeed(req)
	if !ok {
		return "", &InputError{Err: errors.New("calendar url: name a tenant or a tier")}
	}
	if f.cfg.Serve.PublicURL == "" {
		return "", &InputError{Err: errors.New("calendar url: herd.yaml declares no serve.public_url, the address calendar applications reach herd serve at")}
	}
	// The feed must be one herd serves: a registered tenant, a tier
	// known to the fleet.
	if _, _, _, err := f.calendarTenants(ctx, req); err != nil {
		return "", err
	}
	key, err := f.calendarKey(ctx)
	if err != nil {
		return "", err
	}
	return f.signedCalendarURL(key, req, msg), nil
}

// signedCalendarURL is the address of the feed req names, signed with
// key; msg is what the key signs (calendarFeed).
func (f *Fleet) signedCalendarURL(key []byte, req CalendarRequest, msg string) string {
	q := url.Values{}
	base := f.cfg.Serve.CalendarURL(req.Tenant)
	if req.Tenant == "" {
		base = f.cfg.Serve.PublicURL + "/calendar.ics"
		q.Set("tier", req.Tier)
	}
	q.Set("key", calendarSignature(key, msg))
	return base + "?" + q.Encode()
}

// CalendarKeyOpens reports whether given is the key of the calendar feed
// req names (CalendarURL's key=HEX), compared in constant time. No key
// opens the whole fleet's calendar, and none opens anything before the
// fleet's key is made: it only reads, so that a request with a key
// writes nothing.
func (f *Fleet) CalendarKeyOpens(ctx context.Context, req CalendarRequest, given string) (bool, error) {
	msg, ok := calendarFeed(req)
	if !ok {
		return false, nil
	}
	stored, ok, err := f.control.CalendarKey(ctx)
	if err != nil || !ok {
		return false, err
	}
	key, err := decodeCalendarKey(stored)
	if err != nil {
		return false, err
	}
	return hmac.Equal([]byte(given), []byte(calendarSignature(key, msg))), nil
}

// RotateCalendarKey replaces the fleet's calendar key with a new random
// one, recorded in the audit log under the Fleet's actor: every calendar
// URL handed out before stops working, and CalendarURL hands out new
// ones.
func (f *Fleet) RotateCalendarKey(ctx context.Context) error {
	fresh, err := newCalendarKey()
	if err != nil {
		return err
	}
	return f.control.ReplaceCalendarKey(ctx, fresh, f.opts.Actor)
}

// calendarLinks returns the signed address of each tenant's calendar
// feed, for the planned-maintenance webhooks; nil without
// serve.public_url.
func (f *Fleet) calendarLinks(ctx context.Context) (func(tenant string) string, error) {
	if f.cfg.Serve.PublicURL == "" {
		return nil, nil
	}
	key, err := f.calendarKey(ctx)
	if err != nil {
		return nil, err
	}
	return func(tenant string) string {
		req := CalendarRequest{Tenant: tenant}
		msg, _ := calendarFeed(req)
		return f.signedCalendarURL(key, req, msg)
	}, nil
}
