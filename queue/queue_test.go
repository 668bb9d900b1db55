package queue

import (
	"testing"
	"time"
)

// TestWithDefaults fills each unset field and keeps each set one, and
// RiverConfig carries the result to River.
func TestWithDefaults(t *testing.T) {
	d := Config{}.WithDefaults()
	if d.MaxWorkers != DefaultMaxWorkers || d.PollInterval != DefaultPollInterval || d.RescueAfter != DefaultRescueAfter || d.Logger == nil {
		t.Fatalf("defaults = %+v", d)
	}
	set := Config{MaxWorkers: 7, PollInterval: time.Second, RescueAfter: time.Hour}.WithDefaults()
	if set.MaxWorkers != 7 || set.PollInterval != time.Second || set.RescueAfter != time.Hour {
		t.Fatalf("set fields changed: %+v", set)
	}
	rc := RiverConfig(Config{PollInterval: time.Second})
	if rc.FetchPollInterval != time.Second || rc.RescueStuckJobsAfter != DefaultRescueAfter || rc.FetchCooldown != FetchCooldown {
		t.Fatalf("river config = poll %s, rescue %s, cooldown %s", rc.FetchPollInterval, rc.RescueStuckJobsAfter, rc.FetchCooldown)
	}
}
