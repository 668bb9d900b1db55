package herald

import (
	"context"
	"unicode/utf8"
)

// Webhook orderings (Webhook.Ordering): how the deliveries of a webhook wait
// for one another.
const (
	// OrderingNone, the default, attempts deliveries as they come, many at
	// once: the fastest, with no order between them.
	OrderingNone = "none"
	// OrderingFIFO attempts the webhook's deliveries one at a time, in the
	// order their events were accepted: a delivery waits until the one
	// before it has succeeded or failed for good.
	OrderingFIFO = "fifo"
	// OrderingKey keeps that order only among the events published with the
	// same ordering_key (an agent's ID, say); events with other keys, or
	// none, go in parallel.
	OrderingKey = "key"
)

// MaxOrderingKeyLen is the longest ordering_key an event takes: 256 bytes.
const MaxOrderingKeyLen = 256

// ValidateOrdering checks a webhook's ordering: none, fifo or key ("" is
// none). Its EINVALID *Error names the field ordering.
func ValidateOrdering(o string) error {
	switch o {
	case "", OrderingNone, OrderingFIFO, OrderingKey:
		return nil
	}
	return Errorf(EINVALID, "ordering: must be none, fifo or key, got %q", o)
}

// ValidateOrderingKey checks an event's ordering_key: at most
// MaxOrderingKeyLen bytes of valid UTF-8 without NUL; "" is none. Its
// EINVALID *Error names the field ordering_key.
func ValidateOrderingKey(key string) error {
	switch {
	case len(key) > MaxOrderingKeyLen:
		return Errorf(EINVALID, "ordering_key: at most %d bytes, got %d", MaxOrderingKeyLen, len(key))
	case !utf8.ValidString(key):
		return Errorf(EINVALID, "ordering_key: must be valid UTF-8")
	}
	for i := 0; i < len(key); i++ {
		if key[i] == 0 {
			return Errorf(EINVALID, "ordering_key: must not contain NUL")
		}
	}
	return nil
}

// Line is the queue a delivery of an ordered webhook takes its turn in:
// every delivery of a fifo webhook is in one line (Key ""), and those of a
// key webhook are in one line per ordering_key. Within a line, deliveries
// are attempted one at a time in the order their events were accepted (the
// deliveries' creation order).
type Line struct {
	WebhookID string
	Key       string
}

// DeliveryLine returns the line a delivery to a webhook of ordering takes,
// for an event published with key: nil when the delivery is not ordered
// (ordering none, or key with no key given).
func DeliveryLine(webhookID, ordering, key string) *Line {
	switch {
	case ordering == OrderingFIFO:
		return &Line{WebhookID: webhookID}
	case ordering == OrderingKey && key != "":
		return &Line{WebhookID: webhookID, Key: key}
	}
	return nil
}

// LineKey is how a store keeps a delivery's line in its ordering_key
// column: NULL (nil) for none, the line's key ("" under fifo) otherwise.
// ordering and key are the webhook's ordering and the event's key.
func LineKey(ordering, key string) *string {
	if l := DeliveryLine("", ordering, key); l != nil {
		return &l.Key
	}
	return nil
}

// TurnParams are the arguments of TakeTurn: a delivery, its place in its
// line (its creation sequence number in the store) and the line.
type TurnParams struct {
	Tenancy    Tenancy
	DeliveryID string
	Seq        int64
	Line       Line
}

// OrderingStore keeps the deliveries of ordered webhooks in line.
//
// Every delivery has its job, as an unordered one does. When the job runs,
// the worker asks TakeTurn first. A delivery that finds an earlier one of
// its line still pending is held: its job ends without an attempt, and the
// transaction that settles the delivery ahead of it (RecordAttempt, with a
// success or a final failure) releases the first held delivery of the line
// with a new job. The check and the hold, and the settle and the release,
// each run in one transaction under the line's lock, so that no release is
// lost between them, on any node.
type OrderingStore interface {
	// TakeTurn reports whether the delivery may be attempted now: true
	// when no earlier delivery of its line is pending. Otherwise it marks
	// the delivery held and returns false. A delivery that is not pending
	// within p.Tenancy (settled, deleted, or another tenant's) gets an
	// ENOTFOUND error, and nothing is held.
	TakeTurn(ctx context.Context, p TurnParams) (bool, error)
}

// OrderingOrNone returns o, or OrderingNone for "": what a store keeps.
func OrderingOrNone(o string) string {
	if o == "" {
		return OrderingNone
	}
	return o
}
