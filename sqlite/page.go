package sqlite

import (
	"context"
	"fmt"
)

// pageQuery is one page of a list: the rows of table that where (with its
// args) keeps, in order, skip and limit applied.
type pageQuery struct {
	table, cols, where, order string
	args                      []any
	skip, limit               int
}

// listPage counts the rows q's filter keeps and reads its page through the
// reader pool, scanning each row with scan.
func listPage[T any](ctx context.Context, s *DB, q pageQuery, scan func(row scanner) (T, error)) ([]T, int, error) {
	var total int
	if err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM `+q.table+` `+q.where, q.args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count %s: %w", q.table, err)
	}
	rows, err := s.rdb.QueryContext(ctx, fmt.Sprintf(`SELECT %s FROM %s %s ORDER BY %s LIMIT ? OFFSET ?`,
		q.cols, q.table, q.where, q.order), append(q.args, q.limit, q.skip)...)
	if err != nil {
		return nil, 0, fmt.Errorf("select %s: %w", q.table, err)
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("scan %s: %w", q.table, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("select %s: %w", q.table, err)
	}
	return out, total, nil
}
