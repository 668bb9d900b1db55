package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"

	msqlite "modernc.org/sqlite"
)

// maxCachedStmts bounds the prepared statements kept per connection.
const maxCachedStmts = 256

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
	return &cachingConn{conn: conn.(sqliteConn), stmts: map[string]*cachedStmt{}}, nil
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
}

// cachingConn runs queries through cached statements. database/sql uses a
// connection from one goroutine at a time; busy guards statements whose
// rows are still open when the same query runs again (nested use).
type cachingConn struct {
	conn  sqliteConn
	stmts map[string]*cachedStmt
}

func (c *cachingConn) stmt(ctx context.Context, query string) (*cachedStmt, error) {
	if s, ok := c.stmts[query]; ok {
		if s.busy {
			return nil, nil
		}
		return s, nil
	}
	if len(c.stmts) >= maxCachedStmts {
		return nil, nil
	}
	st, err := c.conn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	s := &cachedStmt{stmt: st}
	c.stmts[query] = s
	return s, nil
}

func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	s, err := c.stmt(ctx, query)
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
	s, err := c.stmt(ctx, query)
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
