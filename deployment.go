package herald

import (
	"encoding/json"
	"time"
)

// Deployment statuses, in the order a deployment usually goes through them.
var DeploymentStatuses = []string{"created", "started", "updated", "completed", "failed", "rolled_back"}

// Deployment is the state Herald keeps of one deployment of an agent.
type Deployment struct {
	ID string `json:"id"`
	// TenantID owns the deployment; ids are unique within a tenant.
	TenantID  TenantID        `json:"tenant_id"`
	AgentID   string          `json:"agent_id"`
	Status    string          `json:"status"`
	Version   string          `json:"version,omitempty"`
	Changes   json.RawMessage `json:"changes,omitempty"`
	Error     string          `json:"error,omitempty"`
	Reason    string          `json:"reason,omitempty"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`
	// History is every reported status, oldest first; filled by the
	// single-deployment read.
	History []DeploymentChange `json:"history,omitempty"`
}

// DeploymentChange is one report in a deployment's status history.
type DeploymentChange struct {
	Status  string          `json:"status"`
	Version string          `json:"version,omitempty"`
	Changes json.RawMessage `json:"changes,omitempty"`
	Error   string          `json:"error,omitempty"`
	Reason  string          `json:"reason,omitempty"`
	At      time.Time       `json:"at"`
}

// DeploymentReport is the body of POST /ingest/deployment.
type DeploymentReport struct {
	// TenantID owns the deployment and its agent; see AgentReport.TenantID.
	TenantID     TenantID        `json:"tenant_id,omitempty"`
	DeploymentID string          `json:"deployment_id"`
	AgentID      string          `json:"agent_id"`
	Status       string          `json:"status"`
	Version      string          `json:"version,omitempty"`
	Changes      json.RawMessage `json:"changes,omitempty"`
	Error        string          `json:"error,omitempty"`
	Reason       string          `json:"reason,omitempty"`
	// Now is when the report was received; zero means the store's clock.
	Now time.Time `json:"-"`
}

// Validate checks a report and names the first bad field.
func (r *DeploymentReport) Validate() error {
	if err := ValidateAgentID("deployment_id", r.DeploymentID); err != nil {
		return err
	}
	if err := ValidateAgentID("agent_id", r.AgentID); err != nil {
		return err
	}
	if err := ValidateStatus("status", r.Status); err != nil {
		return err
	}
	if err := ValidateName("version", r.Version); err != nil {
		return err
	}
	if DeploymentAgentStatus(r.Status) == "" {
		return Errorf(EINVALID, "status: %q is not one of created, started, updated, completed, failed, rolled_back", r.Status)
	}
	if len(r.Version) > MaxAgentIDLen {
		return Errorf(EINVALID, "version: must be at most %d characters", MaxAgentIDLen)
	}
	if len(r.Error) > MaxReasonLen {
		return Errorf(EINVALID, "error: must be at most %d characters", MaxReasonLen)
	}
	if len(r.Reason) > MaxReasonLen {
		return Errorf(EINVALID, "reason: must be at most %d characters", MaxReasonLen)
	}
	if len(r.Changes) > 64<<10 {
		return Errorf(EINVALID, "changes: must be at most 64 KiB")
	}
	return nil
}

// DeploymentAgentStatus maps a deployment status to the status it reports
// for its agent, through the same path as POST /ingest/agent-status (so the
// agent.* events fire as well): created, started and updated make the agent
// "deploying"; completed and rolled_back make it "running" (a rollback
// leaves the previous version running); failed makes it "failed", which
// emits agent.crashed with the deployment's error. It returns "" for an
// unknown deployment status.
func DeploymentAgentStatus(status string) string {
	switch status {
	case "created", "started", "updated":
		return "deploying"
	case "completed", "rolled_back":
		return AgentRunning
	case "failed":
		return "failed"
	}
	return ""
}

// AgentReport returns the agent-status report a deployment report makes.
func (r *DeploymentReport) AgentReport() *AgentReport {
	return &AgentReport{TenantID: r.TenantID, AgentID: r.AgentID, Status: DeploymentAgentStatus(r.Status), Error: r.Error, Reason: r.Reason, Now: r.Now}
}

// DeploymentEvent returns the deployment.<status> event of a report, with
// the payload fields of seeds 000 and 003:
//
//	deployment.created     {deployment_id, agent_id, version}
//	deployment.started     {deployment_id, agent_id, version}
//	deployment.updated     {deployment_id, agent_id, changes}
//	deployment.completed   {deployment_id, agent_id, version}
//	deployment.failed      {deployment_id, agent_id, error}
//	deployment.rolled_back {deployment_id, agent_id, reason}
func DeploymentEvent(r *DeploymentReport) EventSpec {
	data := map[string]any{"deployment_id": r.DeploymentID, "agent_id": r.AgentID}
	switch r.Status {
	case "created", "started", "completed":
		data["version"] = r.Version
	case "updated":
		var changes any
		if len(r.Changes) > 0 {
			_ = json.Unmarshal(r.Changes, &changes)
		}
		data["changes"] = changes
	case "failed":
		data["error"] = r.Error
	case "rolled_back":
		data["reason"] = r.Reason
	}
	return EventSpec{Type: "deployment." + r.Status, Data: data}
}

// ApplyDeployment returns the deployment's state after a report (old is
// nil for a new one). Version, changes, error and reason keep their last
// values when the report leaves them out.
func ApplyDeployment(old *Deployment, r *DeploymentReport, now time.Time) *Deployment {
	d := &Deployment{ID: r.DeploymentID, TenantID: r.TenantID, CreatedAt: now}
	if old != nil {
		cp := *old
		cp.History = nil
		d = &cp
	}
	d.AgentID, d.Status, d.UpdatedAt = r.AgentID, r.Status, now
	if r.Version != "" {
		d.Version = r.Version
	}
	if len(r.Changes) > 0 {
		d.Changes = r.Changes
	}
	if r.Error != "" {
		d.Error = r.Error
	}
	if r.Reason != "" {
		d.Reason = r.Reason
	}
	return d
}

// DeploymentFilter selects deployments, newest first.
type DeploymentFilter struct {
	Tenancy Tenancy
	AgentID string
	Status  string
	Skip    int
	Limit   int
}
