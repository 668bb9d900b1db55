package postgres

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald"
)

// eventTypeChannel is the channel that a trigger on event_types notifies on
// every change, on commit, with the schema's name (migration 00018).
const eventTypeChannel = "herald_event_types"

// eventTypeRelisten is how long the cache's listener waits before it
// connects again after losing its connection.
const eventTypeRelisten = time.Second

// eventTypeCache keeps the catalogue entries this node has read, so that a
// publish checks its event's type without a query: one statement fewer per
// event. It is used only while its listener is LISTENing on
// eventTypeChannel; any notification, and any loss of the listener's
// connection, drops every entry. A node's own writes drop them at once
// too (invalidate), so that it reads what it wrote.
//
// A read stores its result only when no drop happened since it began
// (gen): a result read before a change committed never outlives the
// change's notification.
type eventTypeCache struct {
	mu        sync.Mutex
	listening bool
	gen       uint64
	entries   map[string]*herald.EventType // nil: the type does not exist
	changed   func()                       // tests: called after each drop by notification (under mu)

	ready     chan struct{} // closed once the listener first LISTENs
	readyOnce sync.Once
	stop      chan struct{}
	done      chan struct{}
}

// maxCachedEventTypes bounds the entries kept; when full, they are all
// dropped. Unknown names are kept too, and a stranger chooses those.
const maxCachedEventTypes = 4096

func newEventTypeCache() *eventTypeCache {
	return &eventTypeCache{entries: map[string]*herald.EventType{}, ready: make(chan struct{}),
		stop: make(chan struct{}), done: make(chan struct{})}
}

// get returns the entry of name, and whether there is one; found is false
// when the type is cached as missing. gen is to be passed to put.
func (c *eventTypeCache) get(name string) (t *herald.EventType, cached bool, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.listening {
		return nil, false, c.gen
	}
	t, cached = c.entries[name]
	if t != nil {
		t = copyEventType(t)
	}
	return t, cached, c.gen
}

// put stores t (nil: missing) as name's entry, read since gen.
func (c *eventTypeCache) put(name string, t *herald.EventType, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.listening || gen != c.gen {
		return
	}
	if len(c.entries) >= maxCachedEventTypes {
		clear(c.entries)
	}
	if t != nil {
		t = copyEventType(t)
	}
	c.entries[name] = t
}

// invalidate drops every entry; listening says whether the cache may be
// used from now on.
func (c *eventTypeCache) invalidate(listening bool) {
	c.mu.Lock()
	c.gen++
	c.listening = listening
	clear(c.entries)
	c.mu.Unlock()
}

// dropOwn drops every entry after this node changed the catalogue.
func (c *eventTypeCache) dropOwn() {
	c.mu.Lock()
	c.gen++
	clear(c.entries)
	c.mu.Unlock()
}

func copyEventType(t *herald.EventType) *herald.EventType {
	out := *t
	out.Versions = nil
	return &out
}

// listen keeps a connection of its own LISTENing on eventTypeChannel, made
// with cfg, until close; it connects again after eventTypeRelisten when
// the connection is lost.
func (c *eventTypeCache) listen(cfg *pgx.ConnConfig) {
	defer close(c.done)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-c.stop
		cancel()
	}()
	for ctx.Err() == nil {
		c.listenOnce(ctx, cfg)
		c.invalidate(false)
		select {
		case <-ctx.Done():
		case <-time.After(eventTypeRelisten):
		}
	}
}

// listenOnce LISTENs on one connection until it fails or ctx ends.
func (c *eventTypeCache) listenOnce(ctx context.Context, cfg *pgx.ConnConfig) {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, `LISTEN `+eventTypeChannel); err != nil {
		return
	}
	var schema string
	if err := conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return
	}
	c.invalidate(true)
	c.readyOnce.Do(func() { close(c.ready) })
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return
		}
		if n.Payload != schema {
			continue // another Herald's, in another schema of the database
		}
		c.invalidate(true)
		c.mu.Lock()
		if c.changed != nil {
			c.changed()
		}
		c.mu.Unlock()
	}
}

// close stops the listener and waits for it.
func (c *eventTypeCache) close() {
	select {
	case <-c.stop:
	default:
		close(c.stop)
	}
	<-c.done
}
