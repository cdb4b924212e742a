package appliance

import (
	"context"
	"time"
)

// DeviceState is a peripheral's condition as the status strip shows it.
type DeviceState string

const (
	DeviceOK       DeviceState = "ok"
	DevicePaperOut DeviceState = "paper_out"
	DevicePaperLow DeviceState = "paper_low"
	DeviceCover    DeviceState = "cover_open"
	DeviceOffline  DeviceState = "offline"
	DeviceAbsent   DeviceState = "absent"
	DeviceOpen     DeviceState = "open" // a drawer that is open
	DeviceError    DeviceState = "error"
)

// DeviceStatus is a peripheral's last known state.
type DeviceStatus struct {
	Name   string      `json:"name"`
	State  DeviceState `json:"state"`
	Detail string      `json:"detail,omitempty"`
	Since  time.Time   `json:"since,omitzero"`
}

// Printer prints receipts and reports. Print returns an error when the job
// could not be handed to the printer; the sale it belongs to is already
// committed and stays so.
type Printer interface {
	Print(ctx context.Context, r *Receipt) error
	Status() DeviceStatus
}

// Drawer is the cash drawer.
type Drawer interface {
	Open(ctx context.Context) error
	Status() DeviceStatus
}

// PrintArchive is a printer that keeps what it printed, such as the virtual
// printer, so the UI can show the paper.
type PrintArchive interface {
	Printed(limit int) ([]PrintedReceipt, error)
}

// PrintedReceipt is one job as it came out.
type PrintedReceipt struct {
	ID    string    `json:"id"`
	Time  time.Time `json:"time"`
	Title string    `json:"title"`
	Text  string    `json:"text"`
}

// Clock tells the time. Tests inject a fake one.
type Clock func() time.Time
