package jsjson_test

import (
	"testing"

	"github.com/heraldhq/herald/jsjson"
)

// eventData is a typical published event's data.
var eventData = []byte(`{
  "agent_id": "agt_01HZX3K4Q9",
  "old_status": "stopped",
  "new_status": "running",
  "load": 1.50,
  "count": 42,
  "ratio": -0.25,
  "tags": ["a<b", "x&y>z", "é", "deploy"],
  "ok": true,
  "none": null,
  "host": {"name": "worker-7.internal", "region": "eu-west-1", "cpu": 0.873, "mem_bytes": 17179869184},
  "message": "Deployment \"web\" finished in 12.5s\nall checks passed \u2713",
  "steps": [
    {"name": "build", "duration_ms": 5321, "ok": true},
    {"name": "test", "duration_ms": 10234, "ok": true},
    {"name": "release", "duration_ms": 812, "ok": true}
  ]
}`)

func BenchmarkCanonicalize(b *testing.B) {
	b.SetBytes(int64(len(eventData)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := jsjson.Canonicalize(eventData); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCanonicalizeReorder(b *testing.B) {
	in := []byte(`{"b":1,"2":2,"a":3,"1":4,"10":{"y":1,"x":2,"y":3},"c":[1.0,2e21,"s"]}`)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := jsjson.Canonicalize(in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendString(b *testing.B) {
	s := "deployment.finished for agent \"web\" <é>"
	buf := make([]byte, 0, 128)
	b.ReportAllocs()
	for b.Loop() {
		buf = jsjson.AppendString(buf[:0], s)
	}
}
