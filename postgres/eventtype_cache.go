package postgres

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/internal/typecache"
)

// eventTypeChannel is the channel that a trigger on event_types notifies on
// every change, on commit, with the schema's name (migration 00018).
const eventTypeChannel = "herald_event_types"

// eventTypeRelisten is how long the cache's listener waits before it
// connects again after losing its connection.
const eventTypeRelisten = time.Second

// eventTypeCache keeps the catalogue entries this node has read, so that
// a publish checks its event's type without a query: one statement fewer
// per event. It is used only while its listener is LISTENing on
// eventTypeChannel; any notification, and any loss of the listener's
// connection, drops every entry. A node's own writes drop them at once
// too (Drop), so that it reads what it wrote. A result read before a
// change committed never outlives the change's notification (see
// typecache.Cache).
type eventTypeCache struct {
	*typecache.Cache

	mu      sync.Mutex
	changed func() // tests: called after each drop by notification (under mu)

	ready     chan struct{} // closed once the listener first LISTENs
	readyOnce sync.Once
	stop      chan struct{}
	done      chan struct{}
}

func newEventTypeCache() *eventTypeCache {
	return &eventTypeCache{Cache: typecache.New(0, false), ready: make(chan struct{}),
		stop: make(chan struct{}), done: make(chan struct{})}
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
		c.SetOn(false)
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
	c.SetOn(true)
	c.readyOnce.Do(func() { close(c.ready) })
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return
		}
		if n.Payload != schema {
			continue // another Herald's, in another schema of the database
		}
		c.SetOn(true)
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
