//go:build !unix

package runtime

import "os/exec"

// setProcessGroup is a no-op where process groups do not exist: a
// cancellation kills the command alone (exec's default).
func setProcessGroup(*exec.Cmd) {}

// killProcessGroup is a no-op where process groups do not exist.
func killProcessGroup(*exec.Cmd) {}

// exitSignal is "" where exit signals are not reported.
func exitSignal(*exec.ExitError) string { return "" }
