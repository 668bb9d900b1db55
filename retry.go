package herald

import "time"

// DefaultRetrySchedule is seed SwiftClaw's: 1m, 5m, 15m, 1h, 6h, and 6h
// for every later retry.
var DefaultRetrySchedule = Durations{time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour, 6 * time.Hour}

// RetryJitter is the spread RetryDelay applies: ±10%.
const RetryJitter = 0.10

// RetryDelay returns how long to wait before retry number n (1 for the
// first retry) under schedule: the n-th entry, or the last one for retries
// past the end, scaled by jitter. jitter is a number in [-1, 1] (a caller
// passes a random one); the delay moves by jitter×RetryJitter of itself, so
// ±10%. An empty schedule means DefaultRetrySchedule. The function is pure:
// the same arguments give the same delay.
func RetryDelay(schedule Durations, n int, jitter float64) time.Duration {
	if len(schedule) == 0 {
		schedule = DefaultRetrySchedule
	}
	if n < 1 {
		n = 1
	}
	base := schedule[min(n, len(schedule))-1]
	jitter = max(-1, min(1, jitter))
	return base + time.Duration(float64(base)*RetryJitter*jitter)
}

// NextRetryDelay returns the delay before retry n, the larger of RetryDelay
// and retryAfter (a 429 or 503's Retry-After; zero when there was none),
// never more than MaxRetryDelay.
func NextRetryDelay(schedule Durations, n int, jitter float64, retryAfter time.Duration) time.Duration {
	return min(max(RetryDelay(schedule, n, jitter), retryAfter), MaxRetryDelay)
}
