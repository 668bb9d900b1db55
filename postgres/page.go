package postgres

import (
	"context"
	"fmt"
)

// pageQuery is one page of a list: the rows of table that where (with its
// args, numbered from $1) keeps, in order, skip and limit applied.
type pageQuery struct {
	table, cols, where, order string
	args                      []any
	skip, limit               int
}

// listPage runs q with count(*) OVER () beside each row, scans each row with
// scan (which scans the count into total after the columns), and returns
// the page and the total number of rows the filter keeps (see pageTotal).
func listPage[T any](ctx context.Context, s *DB, q pageQuery, scan func(row scanner, total *int) (T, error)) ([]T, int, error) {
	n := len(q.args)
	rows, err := s.pool.Query(ctx, fmt.Sprintf(`SELECT %s, count(*) OVER () FROM %s %s ORDER BY %s LIMIT $%d OFFSET $%d`,
		q.cols, q.table, q.where, q.order, n+1, n+2), append(q.args, q.limit, q.skip)...)
	if err != nil {
		return nil, 0, fmt.Errorf("select %s: %w", q.table, err)
	}
	defer rows.Close()
	out := []T{}
	total := 0
	for rows.Next() {
		v, err := scan(rows, &total)
		if err != nil {
			return nil, 0, fmt.Errorf("scan %s: %w", q.table, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("select %s: %w", q.table, err)
	}
	total, err = s.pageTotal(ctx, len(out), q.skip, total, `SELECT count(*) FROM `+q.table+` `+q.where, q.args...)
	return out, total, err
}
