package herald

// Transform says how an inbound webhook request becomes the message and
// context handed to an agent (seed 002, "Transform Templates"). The zero
// value is valid: the message is then the payload's "message" string field
// when it has one, else the compact JSON of the payload, and the context is
// empty. Package transform compiles and applies it.
type Transform struct {
	// MessageTemplate is a Jinja2 template (rendered with gonja) that
	// produces the message, such as
	// "Alert: {{alert_name}} on {{instance}} ({{severity}})". It sees the
	// top-level fields of a JSON-object payload as variables, which always
	// win, and Herald's own values under herald: herald.payload (the whole
	// payload), herald.headers (the request headers), herald.event_type and
	// herald.source. The bare names payload, headers, event_type and source
	// hold those values too when the payload has no field of that name.
	// Empty (the default) means "use the payload's message field, else the
	// payload as compact JSON". At most 64 KiB; rendering is sandboxed and
	// bounded in time, loop iterations and output (see package transform).
	MessageTemplate string `json:"message_template,omitempty"`
	// ContextMapping maps context keys to RFC 9535 JSONPath queries over the
	// payload, such as {"service": "$.labels.service"}. Each key gets the
	// first node the query selects; a key whose query selects nothing is
	// left out of the context. Empty (the default) means no context.
	ContextMapping map[string]string `json:"context_mapping,omitempty"`
}

// Filters decide which inbound webhook requests reach the agent (seed 002,
// "Filters"). The zero value lets every request through. A request is
// dropped when its event type matches an Exclude glob, or when Include is
// set and its event type matches none of it, or when Condition is false;
// the checks run in that order.
type Filters struct {
	// Include lists event-type globs, such as "*.critical" or "alert.*". When
	// non-empty, only requests whose event type matches one of them pass; a
	// request without an event type then never passes. In a glob "*" matches
	// any run of characters, dots included, and "?" exactly one character;
	// every other character matches itself, case-sensitively. Empty (the
	// default) means every event type.
	Include []string `json:"include,omitempty"`
	// Exclude lists event-type globs, with the syntax of Include, such as
	// "test.*". A request whose event type matches one of them is dropped,
	// whatever Include says. Empty (the default) excludes nothing.
	Exclude []string `json:"exclude,omitempty"`
	// Condition is an expr-lang boolean expression over the payload, bound to
	// "$": "$.severity == 'critical'", "$.count > 3 && $.env != 'test'" or
	// "any($.alerts, .status == 'firing')". event_type is the request's event
	// type. A missing field reads as nil. Empty (the default) means true.
	Condition string `json:"condition,omitempty"`
}
