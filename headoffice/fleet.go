package headoffice

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/kasirpos/kasir/wire"
)

// RecordStatus keeps a till's presence as it reported it. An online status
// replaces everything the till reported before and marks it seen now; an
// offline one (the last will the broker publishes for it) changes only the
// presence, and keeps the backlog and versions it last reported.
//
// An online status older (by the till's clock) than the one already kept is
// a replay and ignored. An offline one is always applied: the broker's last
// will carries the time it was composed at connect, so its time says
// nothing about its order.
func (db *DB) RecordStatus(ctx context.Context, s wire.Status) error {
	if !wire.ValidCode(s.Store) || !wire.ValidCode(s.Till) {
		return fmt.Errorf("%w status: store %q till %q", ErrMalformed, s.Store, s.Till)
	}
	now := db.now().UTC()
	if !s.Online {
		_, err := db.rw.ExecContext(ctx, `INSERT INTO tills (store, till, online, status_time) VALUES (?, ?, 0, ?)
			ON CONFLICT (store, till) DO UPDATE SET online = 0,
				status_time = COALESCE(excluded.status_time, tills.status_time)`,
			s.Store, s.Till, nanos(s.Time))
		if err != nil {
			return fmt.Errorf("headoffice: record status of %s/%s: %w", s.Store, s.Till, err)
		}
		return nil
	}
	var devices any
	if len(s.Devices) > 0 {
		b, err := json.Marshal(s.Devices)
		if err != nil {
			return fmt.Errorf("headoffice: record status of %s/%s: %w", s.Store, s.Till, err)
		}
		devices = string(b)
	}
	_, err := db.rw.ExecContext(ctx, `INSERT INTO tills (store, till, online, last_seen, status_time, epoch,
			reported_last_seq, reported_acked_seq, backlog, oldest_unsynced, software, catalog_version, config_version, devices)
		VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (store, till) DO UPDATE SET online = 1, last_seen = excluded.last_seen,
			status_time = excluded.status_time, epoch = COALESCE(excluded.epoch, tills.epoch),
			reported_last_seq = excluded.reported_last_seq, reported_acked_seq = excluded.reported_acked_seq,
			backlog = excluded.backlog, oldest_unsynced = excluded.oldest_unsynced,
			software = excluded.software, catalog_version = excluded.catalog_version,
			config_version = excluded.config_version, devices = excluded.devices
		WHERE excluded.status_time IS NULL OR tills.status_time IS NULL OR tills.online = 0
			OR excluded.status_time >= tills.status_time`,
		s.Store, s.Till, now.UnixNano(), nanos(s.Time), nullString(s.Epoch),
		s.LastSeq, s.AckedSeq, s.Backlog, nanos(s.OldestUnsynced),
		nullString(s.Software), nullString(s.CatalogVersion), nullString(s.ConfigVersion), devices)
	if err != nil {
		return fmt.Errorf("headoffice: record status of %s/%s: %w", s.Store, s.Till, err)
	}
	return nil
}

// RecordConfigAck keeps a till's latest answer to a catalog or config
// envelope, and, when it is a rejection, keeps it as the till's last
// rejection until another rejection replaces it.
func (db *DB) RecordConfigAck(ctx context.Context, a wire.ConfigAck) error {
	if !wire.ValidCode(a.Store) || !wire.ValidCode(a.Till) ||
		(a.Kind != wire.KindCatalog && a.Kind != wire.KindConfig && a.Kind != wire.KindKey) ||
		(a.Status != "applied" && a.Status != "rejected") {
		return fmt.Errorf("%w config ack: store %q till %q kind %q status %q", ErrMalformed, a.Store, a.Till, a.Kind, a.Status)
	}
	b, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("headoffice: record config ack of %s/%s: %w", a.Store, a.Till, err)
	}
	var rejection any
	if a.Status == "rejected" {
		rejection = string(b)
	}
	_, err = db.rw.ExecContext(ctx, `INSERT INTO tills (store, till, last_config_ack, last_rejection) VALUES (?, ?, ?, ?)
		ON CONFLICT (store, till) DO UPDATE SET last_config_ack = excluded.last_config_ack,
			last_rejection = COALESCE(excluded.last_rejection, tills.last_rejection)`,
		a.Store, a.Till, string(b), rejection)
	if err != nil {
		return fmt.Errorf("headoffice: record config ack of %s/%s: %w", a.Store, a.Till, err)
	}
	return nil
}

// Fleet returns every till head office has heard of, by store and till.
func (db *DB) Fleet(ctx context.Context) ([]TillState, error) {
	rows, err := db.ro.QueryContext(ctx, `SELECT t.store, t.till, t.online, t.last_seen, t.status_time, t.epoch,
			t.reported_last_seq, t.reported_acked_seq, t.backlog, t.oldest_unsynced,
			t.software, t.catalog_version, t.config_version, t.devices, t.last_config_ack, t.last_rejection,
			COALESCE(s.acked_seq, 0),
			(SELECT MIN(p.seq) FROM pending p WHERE p.store = t.store AND p.till = t.till AND p.epoch = t.epoch),
			(SELECT COUNT(*) FROM pending p WHERE p.store = t.store AND p.till = t.till AND p.epoch = t.epoch)
		FROM tills t LEFT JOIN series s ON s.store = t.store AND s.till = t.till AND s.epoch = t.epoch
		ORDER BY t.store, t.till`)
	if err != nil {
		return nil, fmt.Errorf("headoffice: fleet: %w", err)
	}
	defer rows.Close()
	var out []TillState
	for rows.Next() {
		var (
			ts                               TillState
			online                           bool
			lastSeen, statusTime, oldest     sql.NullInt64
			epoch, software, catalog, config sql.NullString
			devices, lastAck, lastRejection  sql.NullString
			firstPending                     sql.NullInt64
		)
		if err := rows.Scan(&ts.Store, &ts.Till, &online, &lastSeen, &statusTime, &epoch,
			&ts.ReportedLastSeq, &ts.ReportedAckedSeq, &ts.ReportedBacklog, &oldest,
			&software, &catalog, &config, &devices, &lastAck, &lastRejection,
			&ts.AckedSeq, &firstPending, &ts.Pending); err != nil {
			return nil, fmt.Errorf("headoffice: fleet: %w", err)
		}
		ts.Online = online
		ts.LastSeen, ts.StatusTime, ts.OldestUnsynced = fromNanos(lastSeen), fromNanos(statusTime), fromNanos(oldest)
		ts.Epoch, ts.Software, ts.CatalogVersion, ts.ConfigVersion = epoch.String, software.String, catalog.String, config.String
		if err := ts.decode(devices, lastAck, lastRejection, firstPending); err != nil {
			return nil, err
		}
		out = append(out, ts)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("headoffice: fleet: %w", err)
	}
	refusals, err := db.Refusals(ctx)
	if err != nil {
		return nil, err
	}
	return withRefusals(out, refusals), nil
}

func decodeConfigAck(s sql.NullString) (*wire.ConfigAck, error) {
	if !s.Valid {
		return nil, nil
	}
	var a wire.ConfigAck
	if err := json.Unmarshal([]byte(s.String), &a); err != nil {
		return nil, err
	}
	return &a, nil
}
