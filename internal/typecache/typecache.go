// Package typecache keeps the event catalogue entries a store has read, so
// that a publish checks its event's type without a query. The SQLite and
// PostgreSQL stores share it; each drops the entries whenever the
// catalogue may have changed.
package typecache

import (
	"sync"
	"time"

	"github.com/heraldhq/herald"
)

// MaxEntries bounds the entries kept; when full, they are all dropped.
// Unknown names are kept too, and a publisher chooses those.
const MaxEntries = 4096

// Cache keeps event types by name, a missing one included. A read stores
// its result only when no drop happened since it began: a result read
// before a write committed never outlives the drop that follows the
// write. Its methods are safe for concurrent use.
type Cache struct {
	// Now is the clock of the entries' age; nil is time.Now.
	Now func() time.Time

	mu      sync.Mutex
	gen     uint64
	on      bool
	ttl     time.Duration
	entries map[string]entry
}

// entry is a cached type, nil when there is none, and when it was read.
type entry struct {
	t  *herald.EventType
	at time.Time
}

// New returns a cache whose entries are used for ttl after their read (0:
// until dropped), and that is used from the start when on (see SetOn).
func New(ttl time.Duration, on bool) *Cache {
	return &Cache{ttl: ttl, on: on, entries: map[string]entry{}}
}

// Get returns the type named name without its versions, from the cache
// when it holds a fresh entry, and otherwise from read, whose result it
// keeps (a herald.ENOTFOUND error as a missing type). The type returned is
// the caller's own.
func (c *Cache) Get(name string, read func() (*herald.EventType, error)) (*herald.EventType, error) {
	c.mu.Lock()
	e, ok := c.entries[name]
	fresh := c.on && ok && (c.ttl == 0 || c.clock().Sub(e.at) < c.ttl)
	gen := c.gen
	c.mu.Unlock()
	if fresh {
		if e.t == nil {
			return nil, notFound(name)
		}
		return withoutVersions(e.t), nil
	}
	t, err := read()
	switch {
	case herald.ErrorCode(err) == herald.ENOTFOUND:
		c.put(name, nil, gen)
	case err == nil:
		c.put(name, withoutVersions(t), gen)
	}
	return t, err
}

// put stores t as name's entry, read since gen.
func (c *Cache) put(name string, t *herald.EventType, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.on || gen != c.gen {
		return
	}
	if len(c.entries) >= MaxEntries {
		clear(c.entries)
	}
	c.entries[name] = entry{t: t, at: c.clock()}
}

// Drop drops every entry, after a change to the catalogue.
func (c *Cache) Drop() {
	c.mu.Lock()
	c.gen++
	clear(c.entries)
	c.mu.Unlock()
}

// SetOn drops every entry and says whether the cache is used from now on:
// off, Get always reads.
func (c *Cache) SetOn(on bool) {
	c.mu.Lock()
	c.gen++
	c.on = on
	clear(c.entries)
	c.mu.Unlock()
}

func (c *Cache) clock() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func notFound(name string) error {
	return herald.Errorf(herald.ENOTFOUND, "event type %q not found", name)
}

// withoutVersions is a copy of t without its versions, which the cache
// never holds.
func withoutVersions(t *herald.EventType) *herald.EventType {
	out := *t
	out.Versions = nil
	return &out
}
