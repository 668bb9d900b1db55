package postgres

import (
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgtype"
)

// PostgreSQL text cannot hold a NUL byte, while the free text Herald keeps
// from outside (log lines, error messages, inbound messages and bodies,
// response bodies) may hold one, as it does on SQLite. Such columns are
// written through escapeText, which stores NUL as the private-use character
// U+E000 followed by "0" and a U+E000 of the text as U+E000 twice, and read
// through freeText, which reverses this. Text holding neither character is
// stored unchanged.
const nulEscape = "\uE000"

var (
	nulEscaper   = strings.NewReplacer("\x00", nulEscape+"0", nulEscape, nulEscape+nulEscape)
	nulUnescaper = strings.NewReplacer(nulEscape+"0", "\x00", nulEscape+nulEscape, nulEscape)
)

// escapeText is s as stored in a free-text column.
func escapeText(s string) string {
	if !strings.ContainsRune(s, 0) && !strings.Contains(s, nulEscape) {
		return s
	}
	return nulEscaper.Replace(s)
}

// unescapeText is the free text stored as s.
func unescapeText(s string) string {
	if !strings.Contains(s, nulEscape) {
		return s
	}
	return nulUnescaper.Replace(s)
}

// freeText scans a free-text column written through escapeText into *p.
func freeText(p *string) pgtype.TextScanner { return unescaping{p} }

type unescaping struct{ p *string }

// ScanText stores the unescaped text.
func (u unescaping) ScanText(v pgtype.Text) error {
	if !v.Valid {
		return fmt.Errorf("cannot scan NULL into %T", u.p)
	}
	*u.p = unescapeText(v.String)
	return nil
}
