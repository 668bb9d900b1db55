package herald_test

import (
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

func TestRetryDelayDefaultSchedule(t *testing.T) {
	want := []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour, 6 * time.Hour, 6 * time.Hour, 6 * time.Hour}
	for i, w := range want {
		if got := herald.RetryDelay(nil, i+1, 0); got != w {
			t.Errorf("retry %d: got %s, want %s", i+1, got, w)
		}
	}
}

func TestRetryDelayJitterBounds(t *testing.T) {
	s := herald.Durations{10 * time.Second}
	if got := herald.RetryDelay(s, 1, 1); got != 11*time.Second {
		t.Errorf("jitter +1: got %s, want 11s", got)
	}
	if got := herald.RetryDelay(s, 1, -1); got != 9*time.Second {
		t.Errorf("jitter -1: got %s, want 9s", got)
	}
	if got := herald.RetryDelay(s, 1, 5); got != 11*time.Second {
		t.Errorf("jitter clamps: got %s, want 11s", got)
	}
}

func TestNextRetryDelayHonoursRetryAfter(t *testing.T) {
	s := herald.Durations{time.Second}
	if got := herald.NextRetryDelay(s, 1, 0, 30*time.Second); got != 30*time.Second {
		t.Errorf("got %s, want the Retry-After of 30s", got)
	}
	if got := herald.NextRetryDelay(s, 1, 0, 0); got != time.Second {
		t.Errorf("got %s, want 1s", got)
	}
	if got := herald.NextRetryDelay(s, 1, 0, 365*24*time.Hour); got != herald.MaxRetryDelay {
		t.Errorf("got %s, want the cap %s", got, herald.MaxRetryDelay)
	}
}

func TestParseDurations(t *testing.T) {
	d, err := herald.ParseDurations("1s, 2s,500ms")
	if err != nil || len(d) != 3 || d[2] != 500*time.Millisecond {
		t.Fatalf("got %v, %v", d, err)
	}
	if _, err := herald.ParseDurations("1s,soon"); err == nil {
		t.Fatal("want an error for a bad duration")
	}
}
