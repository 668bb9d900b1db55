package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"iter"
	"maps"
	"regexp"
	"slices"
	"strconv"

	msqlite "modernc.org/sqlite"
)

// maxCachedStmts bounds the prepared statements kept per connection; the
// least recently used gives way to a new one. Statements run once, such
// as the migrations', thus leave the cache to the ones run all the time.
const maxCachedStmts = 256

// maxLimitVariants bounds the statements kept per query text for a query
// whose LIMIT is a parameter (see limitParam); the least recently used
// gives way.
const maxLimitVariants = 16

// limitParam finds a LIMIT bound to a parameter. SQLite (3.54 and later)
// plans such a statement for the value bound: binding another value expires
// it, and its next step parses and plans it again. River's fetch query,
// whose LIMIT is the worker slots free at that moment, is several
// kilobytes of SQL, and planning it again on each fetch took an eighth of
// the server's CPU under load. Such a query is cached once per set of
// integer arguments (see variantKey).
var limitParam = regexp.MustCompile(`(?i)\bLIMIT\s+\?`)

// openDB opens dsn through a connector whose connections keep their
// prepared statements. Parsing SQL is most of SQLite's work for the small,
// repeated statements of the queue (River's completion query alone is
// several kilobytes), so reusing them roughly doubles throughput.
func openDB(dsn string) *sql.DB {
	return sql.OpenDB(&cachingConnector{dsn: dsn, driver: &msqlite.Driver{}})
}

type cachingConnector struct {
	dsn    string
	driver *msqlite.Driver
}

func (c *cachingConnector) Connect(context.Context) (driver.Conn, error) {
	conn, err := c.driver.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	return &cachingConn{conn: conn.(sqliteConn), stmts: map[string]*cachedStmt{},
		variants: map[string][]string{}, limited: map[string]bool{}}, nil
}

func (c *cachingConnector) Driver() driver.Driver { return c.driver }

// sqliteConn is what the modernc connection implements.
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

type cachedStmt struct {
	stmt driver.Stmt
	busy bool // rows of it are open
	// used is when it last ran, on its connection's clock.
	used uint64
	// query is the text of a variant of a query with a LIMIT parameter
	// ("" for any other statement).
	query string
}

// cachingConn runs queries through cached statements. database/sql uses a
// connection from one goroutine at a time; busy guards statements whose
// rows are still open when the same query runs again (nested use).
type cachingConn struct {
	conn  sqliteConn
	stmts map[string]*cachedStmt
	// variants lists, for each query with a LIMIT parameter, the keys of
	// its cached statements.
	variants map[string][]string
	limited  map[string]bool // whether a query has a LIMIT parameter
	clock    uint64          // counts the statements run
}

// variantKey returns the cache key of query run with args: the query
// itself, or for a query with a LIMIT parameter the query and its integer
// arguments.
func (c *cachingConn) variantKey(query string, args []driver.NamedValue) (string, bool) {
	limited, ok := c.limited[query]
	if !ok {
		if len(c.limited) >= maxCachedStmts {
			clear(c.limited)
		}
		limited = limitParam.MatchString(query)
		c.limited[query] = limited
	}
	if !limited {
		return query, false
	}
	key := []byte(query)
	for _, a := range args {
		switch n := a.Value.(type) {
		case int64:
			key = strconv.AppendInt(append(key, 0), n, 10)
		case int:
			key = strconv.AppendInt(append(key, 0), int64(n), 10)
		}
	}
	return string(key), true
}

// stmt returns the cached statement of query run with args, preparing and
// caching it when it is not; nil when it is in use, or when every cached
// statement is.
func (c *cachingConn) stmt(ctx context.Context, query string, args []driver.NamedValue) (*cachedStmt, error) {
	c.clock++
	s, ok := c.stmts[query] // a query without a LIMIT parameter, cached
	if !ok {
		key, limited := c.variantKey(query, args)
		if s, ok = c.stmts[key]; !ok {
			return c.prepare(ctx, query, key, limited)
		}
	}
	if s.busy {
		return nil, nil
	}
	s.used = c.clock
	return s, nil
}

// prepare prepares query and caches it under key, first closing the least
// recently used variant of query (when limited and it has its fill of
// them) or statement (when the cache is full).
func (c *cachingConn) prepare(ctx context.Context, query, key string, limited bool) (*cachedStmt, error) {
	if limited && len(c.variants[query]) >= maxLimitVariants && !c.evict(slices.Values(c.variants[query])) {
		return nil, nil
	}
	if len(c.stmts) >= maxCachedStmts && !c.evict(maps.Keys(c.stmts)) {
		return nil, nil
	}
	st, err := c.conn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	s := &cachedStmt{stmt: st, used: c.clock}
	c.stmts[key] = s
	if limited {
		s.query = query
		c.variants[query] = append(c.variants[query], key)
	}
	return s, nil
}

// evict closes the least recently used of the statements under keys whose
// rows are not open, and reports whether there was one.
func (c *cachingConn) evict(keys iter.Seq[string]) bool {
	var (
		oldest string
		o      *cachedStmt
	)
	for key := range keys {
		if s := c.stmts[key]; !s.busy && (o == nil || s.used < o.used) {
			oldest, o = key, s
		}
	}
	if o == nil {
		return false
	}
	o.stmt.Close()
	delete(c.stmts, oldest)
	if o.query != "" {
		c.variants[o.query] = slices.DeleteFunc(c.variants[o.query], func(k string) bool { return k == oldest })
		if len(c.variants[o.query]) == 0 {
			delete(c.variants, o.query)
		}
	}
	return true
}

func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	s, err := c.stmt(ctx, query, args)
	if err != nil {
		return nil, err
	} else if s == nil {
		return c.conn.QueryContext(ctx, query, args)
	}
	rows, err := s.stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	s.busy = true
	return &cachedRows{Rows: rows, s: s}, nil
}

func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	s, err := c.stmt(ctx, query, args)
	if err != nil {
		return nil, err
	} else if s == nil {
		return c.conn.ExecContext(ctx, query, args)
	}
	return s.stmt.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (c *cachingConn) Prepare(query string) (driver.Stmt, error) { return c.conn.Prepare(query) }
func (c *cachingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.conn.PrepareContext(ctx, query)
}
func (c *cachingConn) Begin() (driver.Tx, error) {
	return c.conn.BeginTx(context.Background(), driver.TxOptions{})
}
func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.conn.BeginTx(ctx, opts)
}
func (c *cachingConn) Ping(ctx context.Context) error         { return c.conn.Ping(ctx) }
func (c *cachingConn) ResetSession(ctx context.Context) error { return c.conn.ResetSession(ctx) }
func (c *cachingConn) IsValid() bool                          { return c.conn.IsValid() }
func (c *cachingConn) CheckNamedValue(nv *driver.NamedValue) error {
	return checkNamedValue(c.conn, nv)
}

func (c *cachingConn) Close() error {
	var errs []error
	for _, s := range c.stmts {
		errs = append(errs, s.stmt.Close())
	}
	clear(c.stmts)
	return errors.Join(append(errs, c.conn.Close())...)
}

// checkNamedValue defers to the driver's own conversion when it has one.
func checkNamedValue(conn driver.Conn, nv *driver.NamedValue) error {
	if ch, ok := conn.(driver.NamedValueChecker); ok {
		return ch.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

type cachedRows struct {
	driver.Rows
	s *cachedStmt
}

func (r *cachedRows) Close() error {
	r.s.busy = false
	return r.Rows.Close()
}
