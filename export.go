package herald

// Record is one line of "herald export": exactly one of its fields is set.
// Records come in dependency order: webhooks, API keys, events, then
// deliveries with their attempts, so that an import can store them in that
// order.
type Record struct {
	Webhook  *Webhook          `json:"webhook,omitempty"`
	APIKey   *ExportedAPIKey   `json:"api_key,omitempty"`
	Event    *Event            `json:"event,omitempty"`
	Delivery *ExportedDelivery `json:"delivery,omitempty"`
}

// ExportedAPIKey is an API key with its hash, which the API never shows.
type ExportedAPIKey struct {
	APIKey
	Hash string `json:"hash"`
}

// ExportedDelivery is a delivery with its attempts (in AttemptList) and the
// webhook name its body carries.
type ExportedDelivery struct {
	Delivery
	WebhookName string `json:"webhook_name"`
}

// ImportParams is a batch of records to store as they are, keeping their
// IDs, timestamps and statuses. Records already present (by ID) are left
// alone, so an import can be run again.
type ImportParams struct {
	Records []*Record
}
