// Package fgderr holds the FGD error codes (docs/codes.md) and an error type that
// carries one, so that every layer can answer with a code a person can look up.
package fgderr

import (
	"errors"
	"fmt"
)

// Code is an FGD error code such as FGD_1001.
type Code string

// The codes; docs/codes.md lists them with their meaning.
const (
	InvalidYAML         Code = "FGD_1001"
	UnsupportedResource Code = "FGD_1002"
	SchemaValidation    Code = "FGD_1003"
	VersionMismatch     Code = "FGD_1004"
	DuplicateResource   Code = "FGD_1005"
	LimitExceeded       Code = "FGD_1006"

	InvalidStructure Code = "FGD_2001"
	PathEscape       Code = "FGD_2002"
	Symlink          Code = "FGD_2003"
	RepairFailed     Code = "FGD_2004"

	SyncInProgress Code = "FGD_3001"
	SyncTimeout    Code = "FGD_3002"
	SyncCancelled  Code = "FGD_3003"
	SyncFailed     Code = "FGD_3004"

	GitHubConnection Code = "FGD_4001"
	GitHubAuth       Code = "FGD_4002"
	GitHubRateLimit  Code = "FGD_4003"
	GitHubNotFound   Code = "FGD_4004"

	Internal   Code = "FGD_5001"
	Store      Code = "FGD_5002"
	Redis      Code = "FGD_5003"
	WorkerPool Code = "FGD_5004"
)

// Error is an error with an FGD code. Msg is written for a person; Err, when
// set, is the cause and is reachable with errors.Is and errors.As.
type Error struct {
	Code Code
	Msg  string
	Err  error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Msg, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Msg)
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an *Error with a formatted message.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// CodeOf returns the code of the first *Error in err's chain, or Internal.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}
