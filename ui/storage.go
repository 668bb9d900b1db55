package ui

import (
	"fmt"
	"net/http"

	"github.com/heraldhq/herald"
)

// storagePage is the size of Herald's tables, as GET /v1/stats reports it,
// with the server's retention.
type storagePage struct {
	Stats *herald.Stats
	// Retention is the server's --retention, as text.
	Retention string
}

// showStorage shows the rows and bytes of each table, so that an operator
// can size the retention window.
func (u *UI) showStorage(w http.ResponseWriter, r *http.Request) {
	st, err := u.cfg.Store.Stats(r.Context())
	if err != nil {
		u.fail(w, r, sessionOf(r), err)
		return
	}
	ret := herald.LongDuration(u.cfg.Retention)
	u.render(w, r, http.StatusOK, "storage", newView(r, "Storage", &storagePage{Stats: st, Retention: retentionText(&ret)}))
}

// bytesText is n bytes in the largest unit that keeps it at 1 or more.
func bytesText(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	f, i := float64(n), 0
	for f >= unit && i < 4 {
		f /= unit
		i++
	}
	return fmt.Sprintf("%.1f %ciB", f, "KMGT"[i-1])
}
