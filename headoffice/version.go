package headoffice

import (
	"context"
	"fmt"

	"github.com/kasirpos/kasir/wire"
)

// NextVersion hands out the next envelope version of a kind (catalog or
// config), durably: a version once returned is never returned again, and
// each is above every earlier one.
//
// It is also at least the current Unix time in seconds. A till refuses any
// envelope whose version is not above the one it runs, so if head office's
// database were lost and restored from an old backup, counting on from the
// backup would make every till refuse every publish; seeding from the clock
// keeps new versions above the old ones.
func (db *DB) NextVersion(ctx context.Context, kind string) (int64, error) {
	if kind != wire.KindCatalog && kind != wire.KindConfig {
		return 0, fmt.Errorf("%w version kind %q", ErrMalformed, kind)
	}
	floor := db.now().Unix()
	var v int64
	err := db.rw.QueryRowContext(ctx, `INSERT INTO versions (kind, version) VALUES (?, ?)
		ON CONFLICT (kind) DO UPDATE SET version = CASE
			WHEN versions.version + 1 > excluded.version THEN versions.version + 1
			ELSE excluded.version END
		RETURNING version`, kind, floor).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("headoffice: next %s version: %w", kind, err)
	}
	return v, nil
}
