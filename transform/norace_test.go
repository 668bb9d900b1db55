//go:build !race

package transform

// raceEnabled is true under the race detector, which slows renders enough
// that some limit tests hit the deadline before the limit they aim at.
const raceEnabled = false
