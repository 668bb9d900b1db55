package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestProgressLine(t *testing.T) {
	var buf bytes.Buffer
	if newProgress(&buf, "exported") != nil {
		t.Fatal("a buffer is not a terminal: no progress wanted")
	}
	var none *progress
	none.show(1) // a nil progress shows nothing, and does not panic
	none.done()
	p := &progress{w: &buf, verb: "imported"}
	p.show(500)
	p.show(1000)
	p.done()
	if got, want := buf.String(), "\rimported 500 records...\rimported 1000 records...\r\033[K"; got != want {
		t.Errorf("progress wrote %q, want %q", got, want)
	}
}

func TestExportWarnsWhenServerRuns(t *testing.T) {
	ts := startServer(t)
	export := func() string {
		var out, errOut bytes.Buffer
		root := newRootCmd()
		root.SetOut(&out)
		root.SetErr(&errOut)
		root.SetArgs([]string{"export", "--data-dir", ts.Config.DataDir})
		if err := root.ExecuteContext(context.Background()); err != nil {
			t.Fatalf("export: %v\n%s", err, errOut.String())
		}
		if out.Len() == 0 {
			t.Fatal("export wrote nothing")
		}
		return errOut.String()
	}
	if got := export(); !strings.Contains(got, "warning: data dir") || !strings.Contains(got, "is in use") ||
		!strings.Contains(got, "stop the server first") {
		t.Errorf("export while the server runs: stderr %q, want a warning", got)
	}
	if err := ts.Close(); err != nil {
		t.Fatal(err)
	}
	if got := export(); strings.Contains(got, "warning") {
		t.Errorf("export after the server stopped: stderr %q", got)
	}
}
