package appliance

import (
	"errors"
	"fmt"
)

// Code says what kind of failure an Error is. The web layer maps it to an HTTP
// status; the cashier sees Message in their language; the log gets Error().
type Code string

const (
	CodeInvalid      Code = "invalid"        // malformed input
	CodeNotFound     Code = "not_found"      // unknown barcode, SKU, receipt
	CodeUnauthorized Code = "unauthorized"   // not logged in, wrong PIN
	CodeForbidden    Code = "forbidden"      // needs a supervisor
	CodeApproval     Code = "needs_approval" // repeat with a supervisor PIN
	CodeLocked       Code = "locked"         // too many wrong PINs
	CodeConflict     Code = "conflict"       // not possible in this state
	CodeUnderpaid    Code = "underpaid"      // payments below the amount due
	CodeNoShift      Code = "no_shift"       // selling needs an open shift
	CodeStoreFailed  Code = "store_failed"   // the disk refused the write
	CodeCorrupt      Code = "corrupt"        // the database failed its check
	CodeCatalogStale Code = "catalog_stale"  // policy refuses selling on an old catalog
	CodeUnreachable  Code = "unreachable"    // a service the action needs (the QRIS provider) did not answer
	CodeInternal     Code = "internal"
)

// Error is a failure with a code for the machine, a short sentence for the
// cashier (Key into the message table) and detail for the log.
type Error struct {
	Code   Code
	Key    string // message key; defaults to the code
	Args   []any  // arguments for the message
	Detail string // for the log only
	Err    error  // wrapped cause, for the log only
}

func (e *Error) Error() string {
	s := string(e.Code)
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf makes an Error whose cashier message is the default for code.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Detail: fmt.Sprintf(format, args...)}
}

// Errorm makes an Error with a specific cashier message key and its arguments.
func Errorm(code Code, key string, args []any, format string, fargs ...any) *Error {
	return &Error{Code: code, Key: key, Args: args, Detail: fmt.Sprintf(format, fargs...)}
}

// Wrap makes an Error around err.
func Wrap(code Code, err error, format string, args ...any) *Error {
	return &Error{Code: code, Err: err, Detail: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, or CodeInternal.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// ErrNotFound is returned by stores when a looked-up thing does not exist.
var ErrNotFound = errors.New("appliance: not found")
