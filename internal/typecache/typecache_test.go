package typecache

import (
	"fmt"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// reader counts the reads of a store holding one type, a.b, whose
// description the test changes.
type reader struct {
	reads       int
	description string
	during      func() // called within each read
}

func (r *reader) read(name string) func() (*herald.EventType, error) {
	return func() (*herald.EventType, error) {
		r.reads++
		if r.during != nil {
			r.during()
		}
		if name != "a.b" {
			return nil, herald.Errorf(herald.ENOTFOUND, "event type %q not found", name)
		}
		return &herald.EventType{Name: name, Description: r.description, Versions: []*herald.EventTypeVersion{{Version: 1}}}, nil
	}
}

func (r *reader) get(t *testing.T, c *Cache, name string) *herald.EventType {
	t.Helper()
	et, err := c.Get(name, r.read(name))
	if herald.ErrorCode(err) == herald.ENOTFOUND {
		return nil
	} else if err != nil {
		t.Fatal(err)
	}
	return et
}

// Entries are read once and then kept, missing ones too, without their
// versions, each Get's result the caller's own; a drop makes the next Get
// read again.
func TestKeptUntilDropped(t *testing.T) {
	c, r := New(0, true), &reader{description: "one"}
	first := r.get(t, c, "a.b")
	first.Description = "changed by the caller"
	if got := r.get(t, c, "a.b"); got.Description != "one" || got.Versions != nil || r.reads != 1 {
		t.Fatalf("second get: %+v after %d reads; want one, without versions, after 1 read", got, r.reads)
	}
	if r.get(t, c, "x.y") != nil || r.get(t, c, "x.y") != nil || r.reads != 2 {
		t.Fatalf("a missing type: %d reads, want 2", r.reads)
	}
	r.description = "two"
	c.Drop()
	if got := r.get(t, c, "a.b"); got.Description != "two" || r.reads != 3 {
		t.Fatalf("after a drop: %+v after %d reads; want two after 3", got, r.reads)
	}
}

// A result read while a drop happens is not kept: a write that committed
// meanwhile is read on the next Get.
func TestReadDuringDropNotKept(t *testing.T) {
	c, r := New(0, true), &reader{description: "one"}
	r.during = c.Drop
	r.get(t, c, "a.b")
	r.during = nil
	r.get(t, c, "a.b")
	if r.reads != 2 {
		t.Fatalf("%d reads, want 2: a result read during a drop was kept", r.reads)
	}
	r.get(t, c, "a.b")
	if r.reads != 2 {
		t.Fatalf("%d reads, want 2: a result read since the drop was not kept", r.reads)
	}
}

// Off, every Get reads; on again, entries are kept.
func TestOff(t *testing.T) {
	c, r := New(0, false), &reader{description: "one"}
	r.get(t, c, "a.b")
	r.get(t, c, "a.b")
	if r.reads != 2 {
		t.Fatalf("off: %d reads, want 2", r.reads)
	}
	c.SetOn(true)
	r.get(t, c, "a.b")
	r.get(t, c, "a.b")
	if r.reads != 3 {
		t.Fatalf("on: %d reads, want 3", r.reads)
	}
	c.SetOn(false)
	r.get(t, c, "a.b")
	if r.reads != 4 {
		t.Fatalf("off again: %d reads, want 4", r.reads)
	}
}

// With a ttl, an entry is used for that long after its read.
func TestTTL(t *testing.T) {
	now := time.Now()
	c, r := New(time.Second, true), &reader{description: "one"}
	c.Now = func() time.Time { return now }
	r.get(t, c, "a.b")
	now = now.Add(time.Second - time.Nanosecond)
	r.get(t, c, "a.b")
	if r.reads != 1 {
		t.Fatalf("within the ttl: %d reads, want 1", r.reads)
	}
	now = now.Add(time.Nanosecond)
	r.get(t, c, "a.b")
	if r.reads != 2 {
		t.Fatalf("at the ttl: %d reads, want 2", r.reads)
	}
}

// The entries stay under MaxEntries: past it, they are all dropped.
func TestMaxEntries(t *testing.T) {
	c, r := New(0, true), &reader{}
	for i := range MaxEntries + 1 {
		r.get(t, c, fmt.Sprintf("t.%d", i))
	}
	if n := len(c.entries); n > MaxEntries {
		t.Fatalf("%d entries, over %d", n, MaxEntries)
	}
	before := r.reads
	r.get(t, c, "t.0")
	if r.reads != before+1 {
		t.Fatal("the first entry was kept past MaxEntries")
	}
}
