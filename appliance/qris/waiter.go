package qris

import (
	"context"
	"errors"
	"time"
)

// DefaultPoll is how often a Waiter asks the provider when not told otherwise.
const DefaultPoll = 2 * time.Second

// Waiter follows one charge while the customer pays. It polls Status and, if
// Notifications is set, polls at once when a notification for the charge
// arrives. Only one charge is waited for at a time per channel: notifications
// for other charges are discarded (polling still finds them).
type Waiter struct {
	Provider      Provider
	Notifications <-chan Charge // optional, from a Notifier
	Every         time.Duration // poll interval; DefaultPoll if zero
	// OnError, if set, hears every failed poll. Polling goes on after
	// ErrUnreachable, so the screen can say "connection lost" and offer
	// another method while the charge is still being followed.
	OnError func(error)
}

// Wait returns the charge once it is no longer Pending. It stops early with
// the error when the provider says the charge does not exist or refuses
// (anything but ErrUnreachable), and with ctx's error, together with the last
// charge it saw, when ctx ends: the caller then cancels the charge and keeps
// it for reconciliation.
func (w *Waiter) Wait(ctx context.Context, id string) (Charge, error) {
	every := w.Every
	if every <= 0 {
		every = DefaultPoll
	}
	t := time.NewTicker(every)
	defer t.Stop()
	notes := w.Notifications
	var last Charge
	for {
		c, err := w.Provider.Status(ctx, id)
		switch {
		case err == nil:
			last = c
			if c.State.Final() {
				return c, nil
			}
		case ctx.Err() != nil:
			return last, ctx.Err()
		default:
			if w.OnError != nil {
				w.OnError(err)
			}
			if !errors.Is(err, ErrUnreachable) {
				return last, err
			}
		}
		if err := sleep(ctx, t, &notes, id); err != nil {
			return last, err
		}
	}
}

// sleep waits for the next tick or a notification about id.
func sleep(ctx context.Context, t *time.Ticker, notes *<-chan Charge, id string) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			return nil
		case n, ok := <-*notes:
			if !ok {
				*notes = nil // a closed channel must not spin
				continue
			}
			if n.ID == id {
				return nil
			}
		}
	}
}
