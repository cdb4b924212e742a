package drawer

import (
	"context"
	"errors"
	"time"
)

// maxWait bounds each blocking wait on the sensor, and so how long Watch may
// take to notice that its context is done: periph's WaitForEdge cannot be
// interrupted by a context.
const maxWait = 250 * time.Millisecond

// Watch follows the sensor until ctx is done, updating State and sending
// events to Options.OnEvent, and returns ctx's error. Without a sensor it
// returns nil at once, so the main may always start it. Only one Watch may
// run at a time.
func (d *GPIO) Watch(ctx context.Context) error {
	if d.sensor == nil {
		return nil
	}
	d.mu.Lock()
	if d.watching {
		d.mu.Unlock()
		return errors.New("drawer: already watching")
	}
	d.watching = true
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		d.watching = false
		d.mu.Unlock()
	}()

	// The drawer may have moved between NewGPIO and now.
	d.apply(d.read(), d.o.Now())
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		wait := d.nextWait()
		if d.edges {
			if d.sensor.WaitForEdge(wait) {
				d.settleEdges(ctx, d.o.Now())
			}
		} else {
			if err := sleep(ctx, min(wait, d.o.Poll)); err != nil {
				return err
			}
			if cur, _ := d.State(); d.read() != cur {
				d.settlePoll(ctx, d.o.Now())
			}
		}
		d.checkLeftOpen()
	}
}

// settleEdges waits until the switch has stopped bouncing, that is until no
// edge came for the debounce time, and then takes the level. A bounce that
// ends where it started changes nothing.
func (d *GPIO) settleEdges(ctx context.Context, at time.Time) {
	for d.sensor.WaitForEdge(d.o.Debounce) {
		if ctx.Err() != nil {
			return
		}
	}
	d.apply(d.read(), at)
}

// settlePoll takes a changed level only if it still reads so after the
// debounce time.
func (d *GPIO) settlePoll(ctx context.Context, at time.Time) {
	first := d.read()
	if sleep(ctx, d.o.Debounce) != nil {
		return
	}
	if d.read() == first {
		d.apply(first, at)
	}
}

// apply records the new state and reports the transition, if it is one.
func (d *GPIO) apply(s State, at time.Time) {
	d.mu.Lock()
	prev, since := d.state, d.since
	if s == prev {
		d.mu.Unlock()
		return
	}
	d.state, d.since = s, at
	if s == StateOpen {
		d.leftSent = false
	}
	d.mu.Unlock()

	switch {
	case s == StateOpen:
		d.emit(Event{Kind: EventOpened, At: at})
	case prev == StateOpen:
		d.emit(Event{Kind: EventClosed, At: at, OpenFor: at.Sub(since)})
	}
}

func (d *GPIO) checkLeftOpen() {
	if d.o.LeftOpenAfter < 0 {
		return
	}
	now := d.o.Now()
	d.mu.Lock()
	if d.state != StateOpen || d.leftSent || now.Sub(d.since) < d.o.LeftOpenAfter {
		d.mu.Unlock()
		return
	}
	d.leftSent = true
	openFor := now.Sub(d.since)
	d.mu.Unlock()
	d.o.Logger.Warn("drawer left open", "open_for", openFor)
	d.emit(Event{Kind: EventLeftOpen, At: now, OpenFor: openFor})
}

// nextWait is how long the watcher may block: no later than the left-open
// deadline of an open drawer.
func (d *GPIO) nextWait() time.Duration {
	wait := maxWait
	if d.o.LeftOpenAfter < 0 {
		return wait
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.state == StateOpen && !d.leftSent {
		left := d.since.Add(d.o.LeftOpenAfter).Sub(d.o.Now())
		wait = min(wait, max(left, time.Millisecond))
	}
	return wait
}

func (d *GPIO) emit(e Event) {
	if d.o.OnEvent != nil {
		d.o.OnEvent(e)
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
