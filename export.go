package herald

// Record is one line of "herald export": exactly one of its fields is set.
// Records come in dependency order, so that an import can store them in
// that order: webhooks, API keys, events, then deliveries with their
// attempts, then each agent followed by its log lines and its metric
// points (in chunks of at most ExportChunk), then deployments with their
// history, then alert rules with their state.
type Record struct {
	Webhook      *Webhook          `json:"webhook,omitempty"`
	APIKey       *ExportedAPIKey   `json:"api_key,omitempty"`
	Event        *Event            `json:"event,omitempty"`
	Delivery     *ExportedDelivery `json:"delivery,omitempty"`
	Agent        *Agent            `json:"agent,omitempty"`
	AgentLogs    *ExportedLogs     `json:"agent_logs,omitempty"`
	MetricPoints *ExportedPoints   `json:"metric_points,omitempty"`
	// Deployment carries the deployment's whole status history.
	Deployment *Deployment `json:"deployment,omitempty"`
	Alert      *AlertRule  `json:"alert,omitempty"`
}

// ExportChunk is the most log lines or metric points one record of an
// export holds, so that an agent with millions of them is written (and
// read back) a bounded chunk at a time.
const ExportChunk = 1000

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

// ExportedLogs is a chunk of one agent's log lines, in the order
// Store.ExportAgentData reads them.
type ExportedLogs struct {
	AgentID string `json:"agent_id"`
	// Offset is how many of the agent's lines the export wrote before
	// this chunk; it makes a repeated import idempotent (see ImportParams).
	Offset int        `json:"offset"`
	Lines  []LogEntry `json:"lines"`
}

// ExportedPoints is a chunk of one agent's metric points, in the order
// Store.ExportAgentData reads them.
type ExportedPoints struct {
	AgentID string `json:"agent_id"`
	// Offset is how many of the agent's points the export wrote before
	// this chunk; it makes a repeated import idempotent (see ImportParams).
	Offset int           `json:"offset"`
	Points []MetricPoint `json:"points"`
}

// ImportParams is a batch of records to store as they are, keeping their
// IDs, timestamps, statuses and states. An import can be run again:
//
//   - Records with an ID (webhooks, keys, events, deliveries, agents,
//     deployments, alert rules) already present are left alone, with
//     what hangs off them (attempts, a deployment's history).
//   - Log lines and metric points have no ID. They are appended per agent
//     in export order, so a chunk stores only its rows past those the
//     agent holds already: with n stored, rows at positions Offset+i < n
//     are skipped. Importing the same export again, or again after an
//     import that stopped halfway (each batch is one transaction), stores
//     every row once. An agent that held lines or points of its own
//     before the import gets only the exported ones beyond their number.
//
// An agent's chunks must follow its agent record, in a later batch or the
// same one.
type ImportParams struct {
	Records []*Record
}

// ExportParams asks Store.ExportAgentData for one agent's log lines and
// metric points, which have no ID of their own to page by: the store
// streams them from one query each instead.
type ExportParams struct {
	AgentID string
	// ChunkSize is the most rows one call of Logs or Points gets; zero
	// means ExportChunk.
	ChunkSize int
	// Logs gets the agent's log lines in chunks, oldest first (by
	// timestamp, then by arrival), as AgentLogs orders them; nil skips
	// them.
	Logs func(lines []LogEntry) error
	// Points then gets the agent's metric points in chunks, by name, then
	// time; nil skips them.
	Points func(points []MetricPoint) error
}

// Chunk returns ChunkSize, or ExportChunk when it is not set.
func (p *ExportParams) Chunk() int {
	if p.ChunkSize <= 0 {
		return ExportChunk
	}
	return p.ChunkSize
}
