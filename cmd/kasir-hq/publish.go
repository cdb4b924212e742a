package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/kasirpos/kasir/appliance"
	"github.com/kasirpos/kasir/mqttconn"
	"github.com/kasirpos/kasir/wire"
)

// Published envelopes are kept in DATA/published, one file per topic, and
// published again whenever head office connects: an embedded broker keeps
// retained messages in memory only, and a till that comes online next week
// must still get this week's config.
const publishedDir = "published"

func catalogPublish(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, data := newFlags("catalog publish", stderr)
	dbURL := dbFlag(fs)
	store := fs.String("store", "", "store code, or all")
	bf := brokerFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 || (*store != "all" && !wire.ValidCode(*store)) {
		return fmt.Errorf("usage: kasir-hq catalog publish --store S FILE.csv")
	}
	b, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	products, err := appliance.ParseCatalogCSV(bytes.NewReader(b), nil)
	if err != nil {
		return fmt.Errorf("%s: %w\nnothing was published", fs.Arg(0), err)
	}
	body, err := json.Marshal(wire.CatalogBody{Products: products})
	if err != nil {
		return err
	}
	topic := wire.CatalogTopic(*store)
	v, err := sealAndPublish(ctx, *data, *dbURL, bf, wire.KindCatalog, *store, "", topic, body, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "catalog version %d (%d products) published to %s\n", v, len(products), topic)
	return nil
}

func configPublish(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, data := newFlags("config publish", stderr)
	dbURL := dbFlag(fs)
	store := fs.String("store", "", "store code, or all")
	till := fs.String("till", "", "till code (optional: one till only)")
	bf := brokerFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 || (*store != "all" && !wire.ValidCode(*store)) || (*till != "" && (*store == "all" || !wire.ValidCode(*till))) {
		return fmt.Errorf("usage: kasir-hq config publish --store S|all [--till T] FILE.json")
	}
	b, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	cfg := appliance.DefaultConfig()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return fmt.Errorf("%s: %w", fs.Arg(0), err)
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("%s: %w", fs.Arg(0), err)
	}
	body, _ := json.Marshal(cfg)
	topic := wire.AllConfigTopic
	switch {
	case *till != "":
		topic = wire.TillConfigTopic(*store, *till)
	case *store != "all":
		topic = wire.StoreConfigTopic(*store)
	}
	v, err := sealAndPublish(ctx, *data, *dbURL, bf, wire.KindConfig, *store, *till, topic, body, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "config version %d published to %s\n", v, topic)
	return nil
}

func sealAndPublish(ctx context.Context, data, dbURL string, bf brokerFlag, kind, store, till, topic string, body []byte, stderr io.Writer) (int64, error) {
	key, err := loadKey(data)
	if err != nil {
		return 0, fmt.Errorf("signing key: %w (run `kasir-hq keys init`)", err)
	}
	db, err := openStore(ctx, data, dbURL, newLogger(stderr, "warn"))
	if err != nil {
		return 0, err
	}
	defer db.Close()
	v, err := db.NextVersion(ctx, kind)
	if err != nil {
		return 0, err
	}
	env, err := wire.Seal(key, kind, v, time.Now(), store, till, body, kind == wire.KindCatalog)
	if err != nil {
		return 0, err
	}
	raw, _ := json.Marshal(env)
	if err := savePublished(data, topic, raw); err != nil {
		return 0, err
	}
	conn, err := bf.dial(ctx, data)
	if err != nil {
		return v, fmt.Errorf("saved, but the broker is unreachable (%v): head office publishes it when it next connects", err)
	}
	defer conn.Close()
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := conn.Publish(pctx, topic, 1, true, raw); err != nil {
		return v, fmt.Errorf("saved, but not published (%v): head office publishes it when it next connects", err)
	}
	return v, nil
}

// savePublished keeps what was published on topic, to publish again at
// every connect.
func savePublished(data, topic string, raw []byte) error {
	if err := os.MkdirAll(filepath.Join(data, publishedDir), 0o700); err != nil {
		return err
	}
	return writeSecret(filepath.Join(data, publishedDir, hex.EncodeToString([]byte(topic))+".json"), raw)
}

// republish sends every saved envelope again, retained, logging failures.
func republish(ctx context.Context, conn *mqttconn.Conn, data string, log *slog.Logger) {
	if err := republishAll(ctx, conn, data); err != nil {
		log.Warn("republish", "err", err)
	}
}

// republishAll sends every saved envelope again, retained: the key chain
// first, so that a till meets a rotation before what the new key signed.
func republishAll(ctx context.Context, conn *mqttconn.Conn, data string) error {
	names, _ := filepath.Glob(filepath.Join(data, publishedDir, "*.json"))
	type saved struct{ topic, path string }
	var list []saved
	for _, n := range names {
		t, err := hex.DecodeString(strings.TrimSuffix(filepath.Base(n), ".json"))
		if err != nil {
			continue
		}
		list = append(list, saved{string(t), n})
	}
	sort.Slice(list, func(i, j int) bool {
		if ki, kj := list[i].topic == wire.KeysTopic, list[j].topic == wire.KeysTopic; ki != kj {
			return ki
		}
		return list[i].topic < list[j].topic
	})
	var errs []error
	for _, s := range list {
		raw, err := os.ReadFile(s.path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err = conn.Publish(pctx, s.topic, 1, true, raw)
		cancel()
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s.topic, err))
		}
	}
	return errors.Join(errs...)
}

func fleet(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, data := newFlags("fleet", stderr)
	dbURL := dbFlag(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, err := openStore(ctx, *data, *dbURL, newLogger(stderr, "warn"))
	if err != nil {
		return err
	}
	defer db.Close()
	tills, err := db.Fleet(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(tills)
	}
	defer func() {
		// Messages that claimed tills head office does not know.
		all, err := db.Refusals(ctx)
		if err != nil {
			return
		}
		for _, r := range all {
			if r.Store == "*" {
				fmt.Fprintf(stdout, "\nREFUSED %d× %s from tills head office does not know; last: %s\n", r.Count, r.Reason, r.Detail)
			}
		}
	}()
	fmt.Fprintf(stdout, "%-8s %-6s %-8s %-20s %8s %8s %-10s %s\n", "STORE", "TILL", "STATE", "LAST SEEN", "ACKED", "BACKLOG", "SOFTWARE", "LAST REJECTION")
	for _, t := range tills {
		state := "offline"
		if t.Online {
			state = "online"
		}
		rej := ""
		if t.LastRejection != nil {
			rej = fmt.Sprintf("%s v%d: %s", t.LastRejection.Kind, t.LastRejection.Version, t.LastRejection.Reason)
		}
		seen := ""
		if !t.LastSeen.IsZero() {
			seen = t.LastSeen.Local().Format("2006-01-02 15:04:05")
		}
		for _, r := range t.Refusals {
			rej += fmt.Sprintf("; REFUSED %d× %s (last %s)", r.Count, r.Reason, r.Last.Local().Format("2006-01-02 15:04"))
		}
		fmt.Fprintf(stdout, "%-8s %-6s %-8s %-20s %8d %8d %-10s %s\n", t.Store, t.Till, state, seen, t.AckedSeq, t.ReportedBacklog, t.Software, strings.TrimPrefix(rej, "; "))
	}
	return nil
}
