package postgres

import (
	"context"

	"github.com/heraldhq/herald"
)

var errAlertTODO = herald.Errorf(herald.EUNSUPPORTED, "alerts are not implemented on this store yet")

// CreateAlert stores an alert rule.
func (s *DB) CreateAlert(ctx context.Context, r *herald.AlertRule) error { return errAlertTODO }

// Alert returns one alert rule.
func (s *DB) Alert(ctx context.Context, id string) (*herald.AlertRule, error) { return nil, errAlertTODO }

// ListAlerts returns a page of alert rules.
func (s *DB) ListAlerts(ctx context.Context, f herald.AlertFilter) ([]*herald.AlertRule, int, error) {
	return nil, 0, errAlertTODO
}

// UpdateAlert replaces a rule's settings.
func (s *DB) UpdateAlert(ctx context.Context, r *herald.AlertRule) error { return errAlertTODO }

// DeleteAlert removes an alert rule.
func (s *DB) DeleteAlert(ctx context.Context, id string) error { return errAlertTODO }

// AlertValue computes a rule's metric.
func (s *DB) AlertValue(ctx context.Context, q herald.AlertQuery) (*float64, error) {
	return nil, errAlertTODO
}

// SetAlertState records an evaluation.
func (s *DB) SetAlertState(ctx context.Context, p herald.AlertStateParams) (*herald.AlertStateResult, error) {
	return nil, errAlertTODO
}
