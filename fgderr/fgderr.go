// Package fgderr is fgd-sync's one error vocabulary: the FGD codes (see
// docs/codes.md), an error type that carries a code and whether a retry may
// succeed, and the redaction of secrets from text that came from outside.
// It imports no other fgd-sync package, so that every layer can use it.
package fgderr

import (
	"errors"
	"fmt"
	"time"
)

// Error is an error with an FGD code. Msg is written for a person; Err, when
// set, is the cause and is reachable with errors.Is and errors.As.
// Transient marks a failure worth retrying (the network, a 5xx, a rate
// limit, Redis); RetryAfter, when set, is the earliest a retry can succeed.
type Error struct {
	Code       Code
	Msg        string
	Err        error
	Transient  bool
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Msg, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Msg)
}

func (e *Error) Unwrap() error { return e.Err }

// New returns a permanent *Error with a formatted message.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// Retryable returns a transient *Error: msg says what failed, err is the
// cause (may be nil).
func Retryable(code Code, msg string, err error) *Error {
	return &Error{Code: code, Msg: msg, Err: err, Transient: true}
}

// CodeOf returns the code of the first *Error in err's chain, or Internal.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// IsTransient reports whether err is worth retrying, and after how long at
// the least (0 when any backoff will do): the first transient *Error in the
// chain decides, so a permanent wrapper does not hide a transient cause. An
// error with none is permanent.
func IsTransient(err error) (bool, time.Duration) {
	if e := firstTransient(err); e != nil {
		return true, e.RetryAfter
	}
	return false, 0
}

func firstTransient(err error) *Error {
	if err == nil {
		return nil
	}
	if e, ok := err.(*Error); ok && e.Transient {
		return e
	}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		return firstTransient(u.Unwrap())
	case interface{ Unwrap() []error }:
		for _, inner := range u.Unwrap() {
			if e := firstTransient(inner); e != nil {
				return e
			}
		}
	}
	return nil
}
